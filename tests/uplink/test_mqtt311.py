"""A broker that speaks MQTT 3.1.1 only: the uplink falls back to it and delivers (refusals then unseen).

The broker is a real Mosquitto behind a small TCP front that answers an MQTT 5 CONNECT as a
3.1.1-only broker does (CONNACK return code 1, "unacceptable protocol version") and passes
every 3.1.1 connection through unchanged.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.uplink.broker import Broker
from tests.uplink.drills import write
from tests.uplink.test_drills import drained, named
from tests.uplink.test_process import config

_CONNACK_UNSUPPORTED = bytes([0x20, 0x02, 0x00, 0x01])


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def _front(listener: socket.socket, broker_port: int) -> None:
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        first = client.recv(65536)
        if len(first) > 8 and first[8] == 5:  # protocol level 5 (fixed header, length, "MQTT")
            client.sendall(_CONNACK_UNSUPPORTED)
            client.close()
            continue
        upstream = socket.create_connection(("127.0.0.1", broker_port))
        upstream.sendall(first)
        threading.Thread(target=_pipe, args=(client, upstream), daemon=True).start()
        threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()


@pytest.fixture
def mqtt311_port(broker: Broker) -> Iterator[int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    threading.Thread(target=_front, args=(listener, broker.port), daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()


def test_a_broker_of_mqtt_3_1_1_only_is_used_after_one_refused_attempt(
    tmp_path: Path, data_root: Path, mqtt311_port: int
) -> None:
    write(data_root, 0, 10)
    events, _ = drained(config(tmp_path, data_root, mqtt311_port))
    [failed] = named(events, "uplink_connect_failed")
    assert "Unsupported protocol version" in failed["reason"]
    assert len(named(events, "uplink_mqtt5_unsupported")) == 1
    [stopped] = named(events, "uplink_stopped")
    assert stopped["delivered"]["observations"] == 10
