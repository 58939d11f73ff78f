import pytest
from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from brain.errors import SensorReadError
from hardware.retry import DeviceLink, RetryPolicy, describe_error
from tests.fake_time import FakeTime


def test_delays_double_up_to_the_cap() -> None:
    policy = RetryPolicy(initial_s=30, max_s=600)
    assert [policy.delay_s(n) for n in range(1, 8)] == [30, 60, 120, 240, 480, 600, 600]


@given(initial=st.floats(0.1, 3600), cap=st.floats(0.1, 86400), failures=st.integers(1, 10_000))
def test_delay_is_never_above_the_cap_nor_below_the_first(initial: float, cap: float, failures: int) -> None:
    policy = RetryPolicy(initial_s=initial, max_s=max(initial, cap))
    assert initial <= policy.delay_s(failures) <= max(initial, cap)


def test_missing_library_says_how_to_install_it() -> None:
    def open_device() -> object:
        raise ModuleNotFoundError("No module named 'adafruit_bh1750'")

    link: DeviceLink[object] = DeviceLink(
        "par", open_device, retry=RetryPolicy(), monotonic=FakeTime().monotonic
    )
    with pytest.raises(SensorReadError, match=r"-m pip install .*\[pi\]"):
        link.acquire()


def test_a_release_that_fails_is_logged_not_raised() -> None:
    def release(device: object) -> None:
        raise OSError(19, "No such device")

    link: DeviceLink[object] = DeviceLink(
        "dht", object, retry=RetryPolicy(), monotonic=FakeTime().monotonic, release=release
    )
    link.acquire()
    assert link.is_open
    with capture_logs() as logs:
        link.close()
        link.close()  # nothing left to release: no second warning
    assert not link.is_open
    assert logs == [
        {
            "event": "device_release_failed",
            "log_level": "warning",
            "device": "dht",
            "error": "[Errno 19] No such device",
        }
    ]


def test_unexpected_open_errors_propagate() -> None:
    def open_device() -> object:
        raise KeyError("a bug, not an absent device")

    link: DeviceLink[object] = DeviceLink(
        "x", open_device, retry=RetryPolicy(), monotonic=FakeTime().monotonic
    )
    with pytest.raises(KeyError):
        link.acquire()


def test_a_message_over_several_lines_becomes_one() -> None:
    # Blinka's "No Hardware I2C on (scl,sda)=(3, 2)\nValid I2C ports: ...\nMake sure I2C is enabled."
    error = RuntimeError(
        "No Hardware I2C on (scl,sda)=(3, 2)\nValid I2C ports: ((1, 3, 2),).\nMake sure I2C is enabled."
    )
    assert describe_error(error) == (
        "No Hardware I2C on (scl,sda)=(3, 2) Valid I2C ports: ((1, 3, 2),). Make sure I2C is enabled."
    )
