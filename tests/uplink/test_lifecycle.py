"""``brain uplink`` ends only when asked: a pause is not a stop, and a thread that dies is not exit 0."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.runs import clean_env, wait_until
from tests.uplink.broker import Broker, Subscriber
from tests.uplink.drills import delivered_times, expected_times, write
from tests.uplink.test_process import TOOLS, config, events_until, start, stop


def test_a_five_second_pause_is_not_a_stop_and_delivery_goes_on(
    tmp_path: Path, data_root: Path, broker: Broker
) -> None:
    """SIGSTOP for 5 s then SIGCONT (a drill, a debugger): it used to exit 0 and stay dead."""
    write(data_root, 0, 10)
    watcher = Subscriber(broker.port, ["brain/#"], client_id="watcher")
    process = start(config(tmp_path, data_root, broker.port))
    try:
        events_until(process, "uplink_connected")
        wait_until(lambda: delivered_times(watcher) >= expected_times(0, 10), "the first 10 records")
        process.send_signal(signal.SIGSTOP)
        time.sleep(5)  # the pause is the drill itself, not a wait for something to happen
        process.send_signal(signal.SIGCONT)
        write(data_root, 10, 10)
        wait_until(lambda: delivered_times(watcher) >= expected_times(0, 20), "the 10 after the pause")
        assert process.poll() is None
        code, _, err = stop(process)
        assert code == 0, err[-2000:]
        assert delivered_times(watcher) == expected_times(0, 20)  # 0 lost
    finally:
        watcher.close()
        if process.poll() is None:
            process.kill()
            process.communicate()


KILLED_THREAD = (
    "import sys\n"
    "from brain.uplink import alerts, service\n"
    "def broken(self, *args, **kwargs):\n"
    "    raise RuntimeError('a bug in the {thread} thread')\n"
    "{target} = broken\n"
    "from brain.cli import tools_main\n"
    "sys.exit(tools_main())\n"
)


@pytest.mark.parametrize(
    ("thread", "target"), [("alerts", "alerts.AlertRunner.turn"), ("uplink", "service.Uplink._turn")]
)
def test_a_thread_that_dies_ends_the_process_with_1_so_systemd_restarts_it(
    tmp_path: Path, data_root: Path, broker: Broker, thread: str, target: str
) -> None:
    """Any worker that raises (here a bug put in on purpose) stops the process non-zero, promptly."""
    write(data_root, 0, 3)
    write(data_root, 0, 3, stream="anomalies")
    cfg = config(
        tmp_path, data_root, broker.port, '[uplink.alerts]\nwebhook_url = "http://127.0.0.1:9/hook"\n'
    )
    process = start(cfg, code=KILLED_THREAD.format(thread=thread, target=target))
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert f"the {thread} thread died (RuntimeError: a bug in the {thread} thread)" in err


def test_a_second_uplink_on_the_same_data_root_is_refused_with_75_naming_the_first(
    tmp_path: Path, data_root: Path, broker: Broker
) -> None:
    write(data_root, 0, 5)
    cfg = config(tmp_path, data_root, broker.port)
    first = start(cfg)
    try:
        events_until(first, "uplink_connected")
        second = start(cfg)
        _, err = second.communicate(timeout=60)
        assert second.returncode == 75
        assert f"pid {first.pid}" in err and ".uplink.lock" in err and "Traceback" not in err
        assert stop(first)[0] == 0
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    drained = start(cfg, "--exit-when-drained")  # the lock went with the first one
    assert drained.wait(timeout=60) == 0


def test_under_umask_000_nothing_it_creates_is_world_writable(tmp_path: Path, broker: Broker) -> None:
    data_root = tmp_path / "new" / "data"
    process = subprocess.Popen(
        [sys.executable, "-c", TOOLS, "uplink", "--config", str(config(tmp_path, data_root, broker.port))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
        umask=0,
    )
    try:
        events_until(process, "uplink_connected")
        write(data_root, 0, 3)
        cursor = data_root / "uplink" / "mqtt.observations.cursor.json"
        wait_until(lambda: cursor.exists() and b'"next_seq":3' in cursor.read_bytes(), "3 delivered")
    finally:
        stop(process)
    created = [tmp_path / "new", data_root, data_root / "uplink", *(data_root / "uplink").iterdir()]
    modes = {str(path): oct(path.stat().st_mode & 0o777) for path in created}
    assert all(int(mode, 8) & 0o002 == 0 for mode in modes.values()), modes
