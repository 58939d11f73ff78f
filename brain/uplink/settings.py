"""The ``[uplink]`` settings: which broker, which topics, which alerts (docs/fleet.md, docs/deployment.md).

Why the uplink owns its section: ``brain uplink`` reads these values and
``brain.config`` composes this model into the whole configuration, so a key,
its bound and its meaning are written once. Everything is checked when the
settings are loaded, so a topic prefix with a wildcard stops ``brain uplink``
(and ``brain config check``) before it connects anywhere::

    [uplink]
    host = "broker.local"
    port = 8883
    tls = true
    username = "greenhouse-1"
    password_file = "mqtt-password"   # a systemd credential (LoadCredential=), or an absolute path

The password is a :class:`~pydantic.SecretStr`: ``brain config show`` and the
logs print ``**********``.

``brain uplink`` loads only what it reads (:class:`UplinkProcessSettings`, with
:func:`load_uplink_settings`): importing the whole :class:`brain.config.BrainSettings`
would import every package that owns a section, a few MB over the uplink's memory
budget (docs/performance.md). ``BrainSettings`` is built on the same class, so the keys
are defined once and ``brain config check`` still validates ``[uplink]`` with the rest.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from brain.errors import BrainError
from brain.names import SENSOR_KEYS, STREAM_NAMES, SensorKey, Severity
from brain.settings_core import AdvisorDevices, SiteSettings, load_model

_MAX_PREFIX_CHARS = 200
LIVE_STREAM_NAMES = ("observations", "state", "anomalies", "sensor_health")
"""The streams Home Assistant's live topics are fed from."""


def check_topic_prefix(value: str) -> str:
    """Refuse a prefix that is not a plain MQTT topic name.

    Why: ``+`` and ``#`` are subscription wildcards that a broker refuses in a
    PUBLISH topic (MQTT 3.1.1, 4.7.1), a topic starting with ``$`` is reserved for
    the broker's own (4.7.2), and an empty level or a leading or trailing ``/``
    makes topics no consumer would guess. Caught here, at load time, not as a
    disconnect in the middle of the night.
    """
    if not value:
        raise ValueError("must not be empty")
    if "+" in value or "#" in value:
        raise ValueError("contains an MQTT wildcard (+ or #); a topic name cannot")
    if value.startswith("$"):
        raise ValueError("starts with $, which MQTT reserves for the broker's own topics")
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    if any(level == "" for level in value.split("/")):
        raise ValueError("has an empty level (a leading, trailing or doubled /)")
    return value


TopicPrefix = Annotated[str, Field(max_length=_MAX_PREFIX_CHARS), AfterValidator(check_topic_prefix)]
"""A topic prefix without wildcards, ``$``, NUL or empty levels, e.g. ``brain`` or ``farm/north``."""


def _known_streams(value: list[str]) -> list[str]:
    unknown = sorted(set(value) - set(STREAM_NAMES))
    if unknown:
        raise ValueError(f"{len(unknown)} unknown stream(s); the streams are {sorted(STREAM_NAMES)}")
    return value


def masked_url(url: str) -> str:
    """``https://ntfy.sh/**********``: the scheme, host and port, never user info, path or query.

    Why: for Slack, Discord and most webhooks the URL's path *is* the credential, and an
    ntfy URL may carry an ``?auth=`` token; the host is what an operator needs to tell
    which service it is.
    """
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        return "**********"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    hidden = "/**********" if parts.path.strip("/") or parts.query or parts.fragment or parts.username else ""
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}{hidden}"


class SecretUrl(SecretStr):
    """A URL that is a credential: ``brain config show``, ``repr`` and the logs show :func:`masked_url`."""

    def _display(self) -> str:
        return masked_url(self.get_secret_value())


def _url_check(*, needs_path: bool) -> AfterValidator:
    """An http(s) URL with a host (and a path: an ntfy topic); the message never repeats the value."""

    def check(value: SecretUrl) -> SecretUrl:
        url = value.get_secret_value()
        try:
            parts = urllib.parse.urlsplit(url)
            parts.port  # noqa: B018 (a port that is not a number raises here)
        except ValueError:
            raise ValueError("is not a usable URL (its port?); the value is not shown") from None
        if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
            raise ValueError("must be an http:// or https:// URL with a host; the value is not shown")
        if needs_path and not parts.path.strip("/"):
            raise ValueError("must name the topic: https://ntfy.sh/<topic>; the value is not shown")
        return value

    return AfterValidator(check)


_SHOWN_MASKED = PlainSerializer(str, return_type=str, when_used="json")
"""JSON (``brain config show``) shows the masked URL, not pydantic's bare ``**********``."""
NtfyUrl = Annotated[SecretUrl, _url_check(needs_path=True), _SHOWN_MASKED]
WebhookUrl = Annotated[SecretUrl, _url_check(needs_path=False), _SHOWN_MASKED]
URL_SETTINGS = ("ntfy_url", "webhook_url")
"""The alert URLs, each settable in the file or as ``<name>_file`` (a credential)."""
_URL_TYPES: dict[str, TypeAdapter[SecretUrl]] = {
    "ntfy_url": TypeAdapter(NtfyUrl),
    "webhook_url": TypeAdapter(WebhookUrl),
}


class SecretFileError(BrainError):
    """A file holding a secret cannot be used; the message names the file and setting, never the content."""


def read_secret_file(setting: str, path: Path, credentials_directory: str | None) -> str:
    """What a secret file holds (a password, a URL), line end removed; a relative ``path`` is a credential.

    Why credentials: ``LoadCredential=name:/etc/brain/name`` in the unit hands the file to
    this service alone under ``$CREDENTIALS_DIRECTORY``, readable even though the file itself
    is root's, and never in ``brain.toml``'s text (docs/deployment.md).
    """
    if not path.is_absolute():
        if not credentials_directory:
            raise SecretFileError(
                f"{setting} {str(path)!r} is a credential name, but $CREDENTIALS_DIRECTORY"
                " is not set: give an absolute path, or start brain uplink from its systemd unit"
                " (LoadCredential=)"
            )
        path = Path(credentials_directory) / path
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise SecretFileError(f"cannot read {setting} from {path}: {reason}") from None


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address: traffic that never leaves the machine."""
    if host.lower() in ("localhost", "localhost.") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class AlertSettings(BaseModel):
    """``[uplink.alerts]``: alerts that need no Home Assistant (ntfy, a JSON webhook)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ntfy_url: NtfyUrl | None = None
    """ntfy topic URL (``https://ntfy.sh/my-greenhouse``); unset: no ntfy alerts. Shown masked."""
    webhook_url: WebhookUrl | None = None
    """URL that receives each alert as a JSON POST; unset: no webhook. Shown masked (it is a credential)."""
    min_severity: Severity = Severity.WARNING
    """Alerts below this severity are not sent (a faulty sensor is critical, a degraded one a warning)."""
    max_per_hour: Annotated[int, Field(ge=1, le=3600)] = 12
    """Rate limit per channel; a raised critical always goes out, others over it go in one summary later."""
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0
    """HTTP timeout of one delivery; a failed delivery is retried with backoff, never dropped."""
    ntfy_url_file: Path | None = None
    """File holding ``ntfy_url``; a relative name is a systemd credential in ``$CREDENTIALS_DIRECTORY``."""
    webhook_url_file: Path | None = None
    """File holding ``webhook_url``; a relative name is a systemd credential in ``$CREDENTIALS_DIRECTORY``."""
    resume_lookback_h: Annotated[float, Field(gt=0, le=24 * 31)] = 24.0
    """A damaged or unreadable alert cursor resumes with the alerts of this many past hours."""
    repeat_window_h: Annotated[float, Field(gt=0, le=24 * 31)] = 72.0
    """A sensor fault that comes back within this many hours of the last one is a standing notice in
    the daily digest, not a new push (docs/fleet.md, "Alert policy")."""
    digest: bool = True
    """Send a daily digest (ntfy, webhook, Home Assistant): the day's figures, episodes, sensors to check."""
    digest_hour: Annotated[int, Field(ge=0, le=23)] = 7
    """Site-local hour at which the digest of the day before is sent."""
    digest_band_c: tuple[float, float] = (15.0, 30.0)
    """Air temperature band of the digest's "hours outside" (the temperature_low and _high warnings)."""
    quiet_while_acting_h: Annotated[float, Field(ge=0, le=24 * 7)] = 2.0
    """A warning episode the house is already acting on (vents open for low CO2, cooling for heat)
    is pushed only if it turns critical or is still open after this many hours."""

    @model_validator(mode="after")
    def _one_url_source(self) -> AlertSettings:
        """Why: a URL and a file for it would leave the reader guessing which one is used."""
        for name in URL_SETTINGS:
            if getattr(self, name) is not None and getattr(self, f"{name}_file") is not None:
                raise ValueError(f"set {name} or {name}_file, not both")
        return self

    def with_files_read(self, credentials_directory: str | None) -> AlertSettings:
        """These settings with ``ntfy_url_file`` and ``webhook_url_file`` read (once, at start).

        Raises :class:`SecretFileError` naming the file, never its content.
        """
        found: dict[str, SecretUrl] = {}
        for name in URL_SETTINGS:
            path = getattr(self, f"{name}_file")
            if path is None:
                continue
            text = read_secret_file(f"uplink.alerts.{name}_file", path, credentials_directory)
            try:
                found[name] = _URL_TYPES[name].validate_python(text.strip())
            except ValidationError as exc:
                reason = exc.errors(include_url=False, include_input=False)[0]["msg"]
                raise SecretFileError(f"uplink.alerts.{name}_file: what {path} holds {reason}") from None
        return self.model_copy(update=found) if found else self


class UplinkSettings(BaseModel):
    """``[uplink]``: the MQTT broker, the topics and Home Assistant discovery (``brain uplink``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: Annotated[str, Field(min_length=1, max_length=253)] = "localhost"
    """Broker host name or address."""
    port: Annotated[int, Field(ge=1, le=65535)] = 1883
    """Broker port (1883 plain, 8883 with TLS by convention)."""
    client_id: Annotated[str, Field(min_length=1, max_length=23, pattern=r"^[A-Za-z0-9_.-]+$")] | None = None
    """MQTT client id; unset: ``brain-`` and the site id, cut to 23 characters (MQTT 3.1.1, 3.1.3.1)."""
    username: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    """Broker user name; unset: connect anonymously."""
    password: SecretStr | None = None
    """Broker password, here in the file; prefer ``password_file``. Never logged."""
    password_file: Path | None = None
    """File holding the password; a relative name is a systemd credential in ``$CREDENTIALS_DIRECTORY``."""
    tls: bool = False
    """Connect with TLS, verifying the broker's certificate and host name."""
    allow_plaintext_password: bool = False
    """Send the password to a broker that is not on this machine without TLS (refused unless true)."""
    ca_file: Path | None = None
    """CA certificate(s) to verify the broker with; unset: the system's CAs."""
    cert_file: Path | None = None
    """Client certificate, for brokers that authenticate clients by certificate."""
    key_file: Path | None = None
    """Private key of ``cert_file``."""
    keepalive_s: Annotated[int, Field(ge=5, le=3600)] = 60
    """MQTT keepalive: a dead connection is noticed within 1.5 times this."""
    topic_prefix: TopicPrefix = "brain"
    """First topic levels of everything brain publishes: ``<prefix>/<site>/history/<stream>``."""
    streams: Annotated[list[str], AfterValidator(_known_streams)] = Field(
        default_factory=lambda: list(STREAM_NAMES)
    )
    """Streams published to the history topics (backlog included)."""
    discovery: bool = True
    """Publish Home Assistant MQTT discovery configs and the live topics."""
    discovery_prefix: TopicPrefix = "homeassistant"
    """Home Assistant's discovery prefix (its MQTT integration's setting; default ``homeassistant``)."""
    sensors: list[SensorKey] = Field(default_factory=lambda: list(SENSOR_KEYS))
    """The installed sensors: one Home Assistant sensor and one problem binary sensor each."""
    live_max_age_s: Annotated[float, Field(gt=0, le=86400)] | None = None
    """Oldest record (by its own timestamp) sent to the live topics; unset: two poll intervals."""
    max_in_flight: Annotated[int, Field(ge=1, le=10_000)] = 100
    """Records published and not yet acknowledged, over all streams: bounds memory and the resend.

    Each costs about 3.5 KB until the broker acknowledges it (paho keeps every QoS 1
    message with its payload): 100 keep ``brain uplink`` within its 40 MB budget and
    still drain at 100 / round-trip time (2,000 records/s at 50 ms, some 50,000 times
    the daemon's rate). docs/performance.md.
    """
    cursor_interval_s: Annotated[float, Field(ge=1.0, le=60.0)] = 1.0
    """Least time between two writes (temp file, fsync, rename) of one stream's cursor."""
    alerts: AlertSettings = AlertSettings()
    """``[uplink.alerts]``: ntfy and webhook alerts."""

    @model_validator(mode="after")
    def _one_password_source(self) -> UplinkSettings:
        """Why: two sources would leave the reader guessing which one is used."""
        if self.password is not None and self.password_file is not None:
            raise ValueError("set password or password_file, not both")
        if (self.password is not None or self.password_file is not None) and self.username is None:
            raise ValueError("a password needs a username")
        if self._password_in_clear():
            raise ValueError(
                "the broker password would cross the network in clear (no TLS, and the host is not"
                " this machine): set tls = true (port 8883 by convention), or"
                " allow_plaintext_password = true if every link between the two is trusted"
            )
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together")
        missing = sorted(set(LIVE_STREAM_NAMES) - set(self.streams))
        if self.discovery and missing:
            raise ValueError(f"discovery needs the streams {missing} (the live topics are fed from them)")
        return self

    def _password_in_clear(self) -> bool:
        """A password, no TLS, a broker elsewhere, and no explicit ``allow_plaintext_password``.

        Why a refusal and not a warning: a warning in the journal at each start is read by
        no one, while the password, once sniffed on a greenhouse's shared Wi-Fi, lets anyone
        publish as this Pi (and so into Home Assistant). Loopback is exempt: it never leaves
        the machine. A broker on a trusted wire is one explicit line away.
        """
        has_password = self.password is not None or self.password_file is not None
        return (
            has_password and not self.tls and not is_loopback(self.host) and not self.allow_plaintext_password
        )


class UplinkProcessSettings(SiteSettings):
    """What ``brain uplink`` reads of the configuration: top-level keys, ``[uplink]``, the devices.

    Other sections are ignored here (``brain config check`` and the daemon validate them).
    """

    uplink: UplinkSettings = UplinkSettings()
    """``[uplink]``: the MQTT broker, Home Assistant discovery and alerts of ``brain uplink``."""
    advisor: AdvisorDevices = AdvisorDevices()
    """``[advisor.devices]`` only: which kind each device is."""


def load_uplink_settings(
    config_file: Path | None, flags: dict[str, Any] | None = None
) -> UplinkProcessSettings:
    """The uplink's settings from ``brain uplink``'s flags, the ``BRAIN_*`` environment and the file.

    A :class:`~brain.errors.ConfigError` if a value is bad (its ``origin`` is ``command line``
    for a flag's).
    """
    return load_model(UplinkProcessSettings, config_file, flags)
