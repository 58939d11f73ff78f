"""A real Mosquitto for the uplink's tests, and a real paho subscriber that records what arrives.

Why a real broker: what the uplink promises (QoS 1 acknowledgements, retained
configs, the last will, a persistent subscriber's queue across an outage) is
what a broker does; an imitation would test our idea of MQTT, not MQTT.
Mosquitto runs on a free loopback port with a temporary configuration that
enables persistence and lifts the queue limit (as docs/deployment.md tells
users to), as the user running the tests (as root, Mosquitto would otherwise
drop to ``mosquitto`` and could not write its persistence file). Outside CI a
missing ``mosquitto`` skips these tests and says why; in CI (``CI`` set) it
fails them: ``.ci/run`` installs it.
"""

from __future__ import annotations

import getpass
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

MOSQUITTO = shutil.which("mosquitto") or (
    "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
)


def require_mosquitto() -> str:
    """The mosquitto binary; skip (outside CI) or fail (in CI) without it."""
    if MOSQUITTO is None:
        message = (
            "mosquitto is not installed (Debian: apt-get install mosquitto); the uplink needs a real broker"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return MOSQUITTO


PORTS_BELOW = 32768
"""Where Linux starts handing out ports for outgoing connections (``ip_local_port_range``'s default)."""
PORTS_FROM = 20000
PORT_SLICE = 1000
"""Each pytest-xdist worker picks in its own slice of 1,000 ports: gw0 20000-20999, gw1 21000-21999..."""
_PICK = random.Random()  # its own generator: a test that seeds the global one does not make picks repeat


def free_port() -> int:
    """A loopback port nobody listens on, chosen where no other test and no client can take it meanwhile.

    Why not the kernel's free port (``bind`` to 0): that port comes from the range the kernel
    also gives every outgoing connection, so between the probe closing it and Mosquitto binding
    it (or while a broker is stopped for an outage), a client of another test could be handed
    it. Ports below that range are only ever taken deliberately, and each parallel worker
    (``PYTEST_XDIST_WORKER``) draws from its own slice, so two workers never pick the same one.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    first = PORTS_FROM + PORT_SLICE * (int(worker.removeprefix("gw") or 0) % 12)
    for port in _PICK.sample(range(first, min(first + PORT_SLICE, PORTS_BELOW)), 50):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:  # taken by a test of another run on this machine
                continue
            return port
    raise RuntimeError(f"no free loopback port in {first}-{first + PORT_SLICE - 1}")


class Broker:
    """One Mosquitto on a free loopback port; ``stop`` then ``start`` is an outage; ``extra``: more config."""

    def __init__(self, directory: Path, *, extra: str = "", port: int | None = None) -> None:
        self.binary = require_mosquitto()
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.config = directory / "mosquitto.conf"
        self.log = directory / "mosquitto.log"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nuser {getpass.getuser()}\n"
            f"persistence true\npersistence_location {directory}/\n"
            "max_queued_messages 0\nmax_inflight_messages 0\n"
            f"{extra or 'allow_anonymous true'}\n"
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([self.binary, "-c", str(self.config)], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"mosquitto exited: {self.log.read_text()[-2000:]}") from None
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not listen within 10 s")

    def stop(self) -> None:
        """End the broker cleanly (SIGTERM: it saves its persistence file)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)
        self.process = None


@dataclass
class Received:
    topic: str
    payload: bytes
    retain: bool

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass
class Subscriber:
    """A paho client in its own thread; ``persistent``: its session (clean_session False) outlives outages."""

    port: int
    topics: list[str]
    client_id: str = "test-subscriber"
    persistent: bool = False
    messages: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            clean_session=not self.persistent,
            protocol=mqtt.MQTTv311,
        )
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.on_subscribe = lambda *args: self._subscribed.set()
        client.reconnect_delay_set(0.1, 1)
        client.connect("127.0.0.1", self.port, keepalive=10)
        client.loop_start()
        self._client = client
        assert self._subscribed.wait(30), "subscriber not subscribed within 30 s"

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        client.subscribe([(topic, 1) for topic in self.topics])

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        with self._lock:
            self.messages.append(Received(message.topic, bytes(message.payload), bool(message.retain)))

    def on(self, topic_part: str) -> list[Received]:
        with self._lock:
            return [m for m in self.messages if topic_part in m.topic]

    def wait_for(self, predicate: Any, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError(f"not received within {timeout} s; got {len(self.messages)} messages")

    def settle(self, topic: str) -> None:
        """Wait until everything the broker has taken so far reached this subscriber; no wall-clock grace.

        Mosquitto passes a message on to its subscribers before it acknowledges it, and to one
        subscriber in the order it took them, so a marker published now on ``topic`` (which
        this subscriber must match) arrives after every message acknowledged before: once it
        is here, a duplicate or a stray message sent earlier would be here too. The marker is
        then dropped from :attr:`messages`.
        """
        import paho.mqtt.publish as publish

        marker = f"settle-{time.monotonic_ns()}".encode()
        publish.single(topic, marker, qos=1, hostname="127.0.0.1", port=self.port)
        self.wait_for(lambda: any(m.payload == marker for m in self.messages))
        with self._lock:
            self.messages = [m for m in self.messages if m.payload != marker]

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
