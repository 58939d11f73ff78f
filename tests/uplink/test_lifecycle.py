"""``brain uplink`` ends only when asked: a pause is not a stop, and a thread that dies is not exit 0."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.uplink.broker import Broker, Subscriber
from tests.uplink.drills import delivered_times, expected_times, wait_until, write
from tests.uplink.test_process import config, events_until, start, stop


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
