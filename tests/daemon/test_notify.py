import socket
from pathlib import Path

from structlog.testing import capture_logs

from brain.daemon.notify import Notifier


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


def test_a_vanished_socket_is_logged_not_raised(tmp_path: Path) -> None:
    notifier = Notifier(environ={"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    with capture_logs() as logs:
        notifier.watchdog()  # must not raise
        notifier.status("still polling")
    notifier.close()
    assert [(entry["event"], entry["log_level"], entry["message"]) for entry in logs] == [
        ("sd_notify_failed", "warning", "WATCHDOG"),
        ("sd_notify_failed", "warning", "STATUS"),
    ]
    assert all("No such file or directory" in entry["error"] for entry in logs)
