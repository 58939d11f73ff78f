"""The broker connection: paho-mqtt 2.x (callback API version 2), MQTT 5, driven from the uplink's one thread.

Why paho's loop is called from the uplink's own loop instead of paho's thread:
acknowledgements then arrive on the thread that owns the delivery windows (no
locks), and every connection attempt runs here, so a refused login or a bad
certificate is logged with its real reason (paho's own reconnect loop reports
only that it failed). A connection is used once: after a disconnect the uplink
builds a new one and reads again from the cursors, so nothing paho held in its
queues is needed to be right.

Why MQTT 5 (3.1.1 only for a broker that does not speak 5): a broker that refuses a
message says so only in MQTT 5. Mosquitto 2.0 answers a PUBLISH its ACL denies, or one
over ``message_size_limit``, with a PUBACK whose reason code says why (135 "Not
authorized", 149 "Packet too large"), and then closes the connection; to a 3.1.1 client
the same PUBACK reads as a plain acknowledgement (3.1.1 has no reason codes), so the
record would count as delivered while the broker dropped it (docs/fleet.md, "A broker
that refuses"). A refusal is therefore never taken as an acknowledgement: it is logged
with the topic and the reason code, and the record is sent again after the back-off.
MQTT 5 also lets the uplink say the largest packet it accepts (``Maximum Packet Size``,
:data:`MAX_INCOMING_PACKET`): the broker then never sends it a message bigger than that
(a 100 MB message on ``homeassistant/status`` took it from 43 to 346 MB, issue 24).

The password is passed to paho and nowhere else: it is not an attribute of
this class, not in a log line, not in an exception message.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from brain.errors import BrainError
from brain.install_hint import install_command
from brain.uplink.messages import AVAILABILITY_OFFLINE
from brain.uplink.settings import SecretFileError, UplinkSettings, read_secret_file

log = structlog.get_logger(__name__)

MAX_INCOMING_PACKET = 64 * 1024
"""The largest MQTT packet the uplink accepts (MQTT 5 ``Maximum Packet Size``): it subscribes only to
Home Assistant's birth message (``online``), and acknowledgements are a few bytes."""


@dataclass(frozen=True)
class Refusal:
    """A QoS 1 message the broker answered with a failure reason code (MQTT 5 PUBACK)."""

    mid: int
    topic: str
    reason: str
    code: int


class UplinkError(BrainError):
    """The uplink cannot do its work; the message says why and what to check."""


class ConnectError(UplinkError):
    """A connection attempt failed: the broker refused it, or it could not be made at all."""

    def __init__(self, message: str, *, refused: bool) -> None:
        super().__init__(message)
        self.refused = refused
        """True when the broker answered and said no (login, authorisation, TLS trust)."""


def require_paho() -> None:
    """Raise :class:`UplinkError` saying how to install paho-mqtt when it is missing."""
    try:
        import paho.mqtt.client  # noqa: F401
    except ImportError:
        hint = install_command("uplink")
        raise UplinkError(f"brain uplink needs paho-mqtt 2.x: {hint}") from None


@dataclass(frozen=True)
class Credentials:
    """What a connection needs besides the settings: the password, read once at start."""

    password: str | None


def tls_context(settings: UplinkSettings) -> ssl.SSLContext:
    """Certificate and host name verified (``create_default_context``); the CA from ``ca_file`` if set."""
    context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    if settings.cert_file is not None and settings.key_file is not None:
        context.load_cert_chain(str(settings.cert_file), str(settings.key_file))
    return context


class BrokerConnection:
    """One MQTT connection: connect, publish, and the acknowledgements and messages that came back."""

    def __init__(
        self,
        settings: UplinkSettings,
        credentials: Credentials,
        *,
        client_id: str,
        will_topic: str,
        on_message: Callable[[str, bytes], None],
        connect_timeout_s: float = 10.0,
        mqtt5: bool = True,
    ) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.settings = settings
        self.acked: list[int] = []
        """Message ids acknowledged (QoS 1) or sent (QoS 0) since the caller last emptied it."""
        self.refused: list[Refusal] = []
        """QoS 1 messages the broker refused since the caller last emptied it (never in ``acked``)."""
        self.connected = False
        self.lost_reason: str | None = None
        self.mqtt5 = mqtt5
        self._refusal: str | None = None
        self._on_message = on_message
        self._connect_timeout_s = connect_timeout_s
        self._topics: dict[int, str] = {}
        protocol = mqtt.MQTTv5 if mqtt5 else mqtt.MQTTv311
        if mqtt5:
            client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol)
        else:
            client = mqtt.Client(
                CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True, protocol=protocol
            )
        client.max_inflight_messages_set(settings.max_in_flight)
        client.max_queued_messages_set(0)
        if settings.username is not None:
            client.username_pw_set(settings.username, credentials.password)
        if settings.tls:
            client.tls_set_context(tls_context(settings))
        client.will_set(will_topic, AVAILABILITY_OFFLINE, qos=1, retain=True)
        client.on_connect = self._connected
        client.on_disconnect = self._disconnected
        client.on_publish = self._published
        client.on_message = self._message
        self._client = client

    def connect(self) -> None:
        """Open the connection and wait for the broker's yes; raise :class:`ConnectError` otherwise."""
        where = f"{self.settings.host}:{self.settings.port}"
        try:
            if self.mqtt5:
                from paho.mqtt.packettypes import PacketTypes
                from paho.mqtt.properties import Properties

                properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
                properties.MaximumPacketSize = MAX_INCOMING_PACKET
                self._client.connect(
                    self.settings.host,
                    self.settings.port,
                    keepalive=self.settings.keepalive_s,
                    clean_start=True,
                    properties=properties,
                )
            else:
                self._client.connect(
                    self.settings.host, self.settings.port, keepalive=self.settings.keepalive_s
                )
        except ssl.SSLCertVerificationError as exc:
            raise ConnectError(
                f"{where}: the broker's certificate is not trusted ({exc.verify_message}); "
                "check uplink.ca_file and uplink.host",
                refused=True,
            ) from None
        except ssl.SSLError as exc:
            raise ConnectError(
                f"{where}: TLS failed ({exc.reason}); check uplink.tls", refused=True
            ) from None
        except (OSError, ValueError) as exc:
            raise ConnectError(f"{where}: cannot connect ({exc})", refused=False) from None
        deadline = time.monotonic() + self._connect_timeout_s
        while not self.connected and self._refusal is None:
            if time.monotonic() > deadline:
                self.close()
                raise ConnectError(
                    f"{where}: no answer to CONNECT within {self._connect_timeout_s:g} s", refused=False
                )
            if self.loop(0.1) and self.lost_reason is not None:
                break
        if self._refusal is not None:
            self.close()
            hint = (
                "it does not speak this MQTT version"
                if "protocol" in self._refusal.lower()
                else "check uplink.username and the password"
            )
            raise ConnectError(
                f"{where}: the broker refused the connection ({self._refusal}); {hint}",
                refused=True,
            )
        if not self.connected:
            raise ConnectError(
                f"{where}: the connection closed before the broker answered ({self.lost_reason})",
                refused=False,
            )

    def loop(self, timeout: float) -> bool:
        """Send and receive for up to ``timeout`` seconds; False once the connection is lost."""
        import paho.mqtt.client as mqtt

        code = self._client.loop(timeout)
        if code != mqtt.MQTT_ERR_SUCCESS and self.connected:
            self.connected = False
            self.lost_reason = self.lost_reason or mqtt.error_string(code)
        return self.connected

    def publish(self, topic: str, payload: bytes, *, qos: int, retain: bool = False) -> int | None:
        """Hand one message to paho; its message id, or ``None`` if the connection is gone."""
        import paho.mqtt.client as mqtt

        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_QUEUE_SIZE) or not self.connected:
            if info.rc == mqtt.MQTT_ERR_NO_CONN:
                self.connected = False
            return None
        if qos:
            self._topics[info.mid] = topic
        return info.mid

    def topic_of(self, mid: int) -> str | None:
        """The topic of a QoS 1 message not yet answered."""
        return self._topics.get(mid)

    def subscribe(self, topic: str) -> None:
        """Subscribe with QoS 1 (Home Assistant's birth message)."""
        self._client.subscribe(topic, qos=1)

    def close(self, *, goodbye: tuple[str, bytes] | None = None, drain_s: float = 0.0) -> None:
        """Optionally publish ``goodbye`` and let outstanding acknowledgements arrive, then disconnect."""
        if goodbye is not None and self.connected:
            self.publish(goodbye[0], goodbye[1], qos=1, retain=True)
        deadline = time.monotonic() + drain_s
        while self.connected and time.monotonic() < deadline and self._client.want_write():
            self.loop(0.05)
        if self.connected and drain_s > 0:
            self.loop(0.2)
        try:
            self._client.disconnect()
            self._client.loop(0.1)
        except (OSError, ValueError):
            pass
        self.connected = False

    # paho callbacks (called from inside loop(), on the uplink's thread)

    def _connected(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if reason_code.is_failure:
            self._refusal = str(reason_code)
        else:
            self.connected = True

    def _disconnected(
        self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if self.connected:
            self.lost_reason = str(reason_code)
        self.connected = False

    def _published(self, client: Any, userdata: Any, mid: int, reason_code: Any, properties: Any) -> None:
        topic = self._topics.pop(mid, "")
        if getattr(reason_code, "is_failure", False):
            self.refused.append(Refusal(mid, topic, str(reason_code), int(reason_code.value)))
        else:
            self.acked.append(mid)

    def _message(self, client: Any, userdata: Any, message: Any) -> None:
        self._on_message(message.topic, bytes(message.payload))


def read_password(settings: UplinkSettings, credentials_directory: str | None) -> str | None:
    """The password from the settings, or from ``password_file`` (relative: a systemd credential).

    Raises :class:`UplinkError` naming the file (never its content) when it cannot be read.
    """
    if settings.password is not None:
        return settings.password.get_secret_value()
    if settings.password_file is None:
        return None
    try:
        return read_secret_file("uplink.password_file", settings.password_file, credentials_directory)
    except SecretFileError as exc:
        raise UplinkError(str(exc)) from None
