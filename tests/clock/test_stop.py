import threading
import time

from brain.clock.stop import StopSignal


def test_sleep_times_out_when_nobody_asks_to_stop() -> None:
    stop = StopSignal()
    began = time.monotonic()
    assert stop.sleep(0.05) is False
    assert time.monotonic() - began >= 0.049
    assert not stop.is_set()


def test_set_from_another_thread_wakes_the_sleeper() -> None:
    stop = StopSignal()
    threading.Timer(0.05, stop.set).start()
    began = time.monotonic()
    assert stop.sleep(10) is True
    assert time.monotonic() - began < 5.0  # woken by the set, not by the 10 s (room for a loaded machine)


def test_once_set_it_stays_set_and_sleeps_return_at_once() -> None:
    stop = StopSignal()
    for _ in range(100_000):  # more than a pipe holds: set() must never block
        stop.set()
    assert stop.is_set()
    began = time.monotonic()
    assert stop.sleep(10) is True
    assert stop.sleep(0) is True
    assert time.monotonic() - began < 1.0  # not the 10 s (10 ms raced a loaded machine's scheduler)


def test_a_zero_or_negative_sleep_returns_at_once() -> None:
    stop = StopSignal()
    began = time.monotonic()
    assert stop.sleep(0) is False
    assert stop.sleep(-5) is False
    assert time.monotonic() - began < 1.0  # at once, with room for a loaded machine's scheduling
