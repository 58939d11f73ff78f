import contextlib
import socket
import time
from pathlib import Path

from structlog.testing import capture_logs

from brain.daemon.notify import LOG_EVERY_DROPS, Notifier


def test_silent_without_notify_socket() -> None:
    notifier = Notifier(environ={})
    assert not notifier.enabled
    with capture_logs() as logs:
        notifier.ready("x")
        notifier.watchdog()
    assert logs == []  # nothing sent, so nothing failed either
    assert notifier.watchdog_interval_s is None


def test_messages_reach_a_real_unix_socket(tmp_path: Path) -> None:
    path = tmp_path / "notify.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    server.settimeout(2)
    try:
        notifier = Notifier(environ={"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "180000000"})
        assert notifier.enabled
        assert notifier.watchdog_interval_s == 90.0
        notifier.ready("started")
        notifier.status("last poll never")
        notifier.watchdog()
        notifier.stopping()
        got = [server.recv(4096).decode() for _ in range(4)]
        assert got == ["READY=1\nSTATUS=started", "STATUS=last poll never", "WATCHDOG=1", "STOPPING=1"]
        notifier.close()
        notifier.close()
    finally:
        server.close()


def test_a_vanished_socket_is_counted_logged_once_and_its_return_noticed(tmp_path: Path) -> None:
    path = tmp_path / "notify.sock"
    notifier = Notifier(environ={"NOTIFY_SOCKET": str(path)})
    with capture_logs() as logs:
        notifier.watchdog()  # must not raise
        notifier.status("still polling")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        server.bind(str(path))  # systemd's socket is back
        try:
            notifier.status("polling again")
            assert server.recv(4096) == b"STATUS=polling again"
        finally:
            server.close()
    notifier.close()
    assert [(entry["event"], entry["log_level"]) for entry in logs] == [
        ("sd_notify_failed", "warning"),
        ("sd_notify_recovered", "info"),
    ]
    assert logs[0]["message"] == "WATCHDOG" and "No such file or directory" in logs[0]["error"]
    assert notifier.dropped == 2 and logs[1]["dropped_total"] == 2


def test_a_socket_nobody_reads_never_blocks_a_send(tmp_path: Path) -> None:
    """A bound socket whose queue fills: every send returns at once, drops are counted and logged sparsely."""
    path = tmp_path / "notify.sock"
    deaf = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    deaf.bind(str(path))
    notifier = Notifier(environ={"NOTIFY_SOCKET": str(path)})
    sends = 5 * LOG_EVERY_DROPS
    try:
        with capture_logs() as logs:
            began = time.monotonic()
            for number in range(sends):
                notifier.status(f"poll {number}")
            took = time.monotonic() - began
        queued = 0
        deaf.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            while deaf.recv(4096):
                queued += 1
    finally:
        notifier.close()
        deaf.close()
    assert took < 5, "a blocking send would wait here forever"
    assert queued > 0 and notifier.dropped == sends - queued
    failed = [entry for entry in logs if entry["event"] == "sd_notify_failed"]
    assert 1 <= len(failed) <= 1 + notifier.dropped // LOG_EVERY_DROPS
    assert "unavailable" in failed[0]["error"] and failed[-1]["dropped_total"] <= notifier.dropped
