from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brain.estimator.ring_buffer import RingBuffer

HOUR = 3600.0


def _filled(step_s: float, hours: float, *, window_h: float = 48.0) -> RingBuffer:
    buffer = RingBuffer(("t", "rh"), window_s=window_h * HOUR, min_spacing_s=10.0, bucket_s=300.0)
    n = int(hours * HOUR / step_s)
    for i in range(n):
        buffer.push(i * step_s, (float(i), None if i % 7 == 0 else 50.0 + i % 13))
    return buffer


def test_ring_buffer_overwrites_oldest() -> None:
    buffer = _filled(60.0, 50.0)  # two hours more than the 48-hour window
    samples = buffer.last_n_hours(48.0)
    newest = samples[-1].time_s
    assert newest == (50 * 60 - 1) * 60.0
    assert samples[0].time_s >= newest - 48 * HOUR
    # Exactly the samples of the last 48 hours survive (the window is inclusive at its start).
    assert len(buffer) == 48 * 60 + 1
    assert samples[0].values[0] == (50 * 60 - 1) - 48 * 60
    # Memory is fixed at construction: a day of 1-s polls cannot grow it.
    fast = RingBuffer(("t",), window_s=48 * HOUR, min_spacing_s=10.0)
    capacity = fast.capacity
    stored = sum(fast.push(float(s), (1.0,)) for s in range(86_400))
    assert fast.capacity == capacity == int(48 * HOUR / 10.0) + 2
    assert stored == 8_640 and len(fast) == 8_640


def test_get_last_n_hours() -> None:
    buffer = _filled(300.0, 30.0)
    last_two = buffer.last_n_hours(2.0)
    newest = last_two[-1].time_s
    assert [s.time_s for s in last_two] == [newest - k * 300.0 for k in range(24, -1, -1)]
    assert all(newest - 2 * HOUR <= s.time_s <= newest for s in last_two)
    # Missing values come back as None, not NaN.
    assert any(s.values[1] is None for s in buffer.last_n_hours(30.0))
    # Asking for more than the window returns the window.
    assert len(buffer.last_n_hours(100.0)) == len(buffer) == 30 * 12
    with pytest.raises(ValueError, match="positive"):
        buffer.last_n_hours(0.0)


def test_get_stats() -> None:
    buffer = _filled(60.0, 50.0)
    for hours in (0.5, 1.0, 3.3, 24.0, 48.0):
        samples = buffer.last_n_hours(hours)
        for index, name in enumerate(("t", "rh")):
            expected = [s.values[index] for s in samples if s.values[index] is not None]
            stats = buffer.stats(name, hours)
            assert stats.count == len(expected)
            assert stats.minimum == min(expected)
            assert stats.maximum == max(expected)
            assert stats.mean == pytest.approx(statistics.fmean(expected), rel=1e-12)
            assert stats.std == pytest.approx(statistics.stdev(expected), rel=1e-9)
    with pytest.raises(KeyError, match="unknown series"):
        buffer.stats("co2", 1.0)


def test_stats_of_nothing_and_of_one_value() -> None:
    buffer = RingBuffer(("x",), window_s=HOUR, min_spacing_s=1.0, bucket_s=60.0)
    empty = buffer.stats("x", 1.0)
    assert (empty.count, empty.mean, empty.std, empty.minimum, empty.maximum) == (0, None, None, None, None)
    assert buffer.latest_time_s is None
    buffer.push(0.0, (None,))
    assert buffer.stats("x", 1.0).count == 0
    buffer.push(5.0, (3.5,))
    one = buffer.stats("x", 1.0)
    assert (one.count, one.mean, one.std, one.minimum, one.maximum) == (1, 3.5, 0.0, 3.5, 3.5)
    assert buffer.latest_time_s == 5.0


def test_times_must_increase_and_values_match_series() -> None:
    buffer = RingBuffer(("x", "y"), window_s=HOUR, min_spacing_s=10.0)
    assert buffer.push(100.0, (1.0, 2.0))
    assert not buffer.push(105.0, (1.0, 2.0)), "sooner than min_spacing_s: skipped"
    with pytest.raises(ValueError, match="increase"):
        buffer.push(100.0, (1.0, 2.0))
    with pytest.raises(ValueError, match="expected 2 values"):
        buffer.push(200.0, (1.0,))
    with pytest.raises(ValueError, match="positive"):
        RingBuffer(("x",), window_s=0.0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=10.0, max_value=900.0),
            st.one_of(st.none(), st.floats(min_value=-1e4, max_value=1e4, allow_nan=False)),
        ),
        min_size=1,
        max_size=400,
    ),
    st.floats(min_value=0.01, max_value=6.0),
)
def test_stats_equal_a_direct_computation(steps: list[tuple[float, float | None]], hours: float) -> None:
    """Bucket summaries merged with the raw edges give exactly what a scan of the window gives."""
    buffer = RingBuffer(("x",), window_s=4 * HOUR, min_spacing_s=10.0, bucket_s=600.0)
    t = 0.0
    for dt, value in steps:
        t += dt
        buffer.push(t, (value,))
    window = [s.values[0] for s in buffer.last_n_hours(hours) if s.values[0] is not None]
    stats = buffer.stats("x", hours)
    assert stats.count == len(window)
    if window:
        assert stats.minimum == min(window) and stats.maximum == max(window)
        assert stats.mean == pytest.approx(statistics.fmean(window), rel=1e-9, abs=1e-9)
        expected_std = statistics.stdev(window) if len(window) > 1 else 0.0
        assert stats.std is not None and math.isclose(stats.std, expected_std, rel_tol=1e-6, abs_tol=1e-6)
