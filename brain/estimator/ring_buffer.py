"""The estimator's history: the last 48 hours of estimated values, by time.

Why by time and with a fixed capacity: the poll interval is a setting, and a
buffer sized in samples would hold two hours at one poll rate and two weeks at
another. Here a sample is kept for ``window_s`` seconds, and at most one
sample per ``min_spacing_s`` is stored, so the memory bound holds whatever
the poll interval: ``window_s / min_spacing_s + 2`` slots, allocated once
(docs/estimator.md gives the figure in bytes).

Why buckets: ``stats()`` must not walk two days of samples on every call. The
samples are grouped in ``bucket_s`` buckets; the first query that needs a
closed bucket summarises it once per series (count, mean, sum of squared
deviations, min, max) and keeps the summary; a query merges the summaries of
the whole buckets in its window (Chan, Golub & LeVeque 1979 for the variance)
and scans raw samples only in the partial bucket at its start and in the open
bucket at its end. That makes it exact, not approximate, and keeps ``push``
to a few assignments.

Example::

    >>> buffer = RingBuffer(("air_temperature_c",), window_s=3600.0, min_spacing_s=1.0)
    >>> for second in range(0, 600, 60):
    ...     _ = buffer.push(float(second), (20.0 + second / 600.0,))
    >>> round(buffer.stats("air_temperature_c", 1.0).mean, 3)
    20.45
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from brain.estimator.timeline import bucket_end

_NAN = math.nan

_Summary = tuple[int, float, float, float, float]
"""count, mean, sum of squared deviations (M2), min, max of one series in one bucket."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One stored sample: its time and one value per series (``None`` where there was none)."""

    time_s: float
    """Estimator time in seconds (observation epoch seconds, kept increasing across clock steps)."""
    values: tuple[float | None, ...]
    """One value per series, in the buffer's series order (``None`` where there was none)."""


@dataclass(frozen=True, slots=True)
class SeriesStats:
    """Summary of one series over a window; the numbers are ``None`` when ``count`` is 0."""

    count: int
    minimum: float | None
    maximum: float | None
    mean: float | None
    std: float | None
    """Sample standard deviation (n - 1 in the denominator); 0.0 for a single value."""


class RingBuffer:
    """A fixed-memory, time-windowed store of samples with cheap windowed statistics."""

    def __init__(
        self,
        series: Sequence[str],
        *,
        window_s: float = 48 * 3600.0,
        min_spacing_s: float = 10.0,
        bucket_s: float = 300.0,
    ) -> None:
        if window_s <= 0 or min_spacing_s <= 0 or bucket_s <= 0:
            raise ValueError("window_s, min_spacing_s and bucket_s must be positive")
        self.series: tuple[str, ...] = tuple(series)
        self._width = len(self.series)
        self.window_s = window_s
        self.min_spacing_s = min_spacing_s
        self.bucket_s = bucket_s
        self.capacity = int(window_s // min_spacing_s) + 2
        self._index = {name: i for i, name in enumerate(self.series)}
        self._times = array("d", [_NAN]) * self.capacity
        self._rows: list[tuple[float | None, ...]] = [()] * self.capacity
        self._total = 0
        """Samples ever stored; sample k lives at slot k % capacity."""
        self._oldest = 0
        """Absolute index of the oldest sample still in the window."""
        self._last_t = -math.inf
        self._open_bucket = -1
        self._open_end = -math.inf
        self._open_start = 0
        """Absolute index of the first sample of the open bucket."""
        self._closed: deque[_Bucket] = deque()

    def __len__(self) -> int:
        return self._total - self._oldest

    @property
    def latest_time_s(self) -> float | None:
        """Time of the newest stored sample, or ``None`` when empty."""
        return None if self._total == self._oldest else self._last_t

    def push(self, time_s: float, values: tuple[float | None, ...]) -> bool:
        """Store a sample; return ``False`` when it came sooner than ``min_spacing_s`` and was skipped.

        Times must increase: the estimator feeds its monotonic time, so an
        older time is a programming error (``ValueError``).
        """
        if time_s - self._last_t < self.min_spacing_s:
            if time_s <= self._last_t:
                raise ValueError(f"ring buffer times must increase: {time_s} after {self._last_t}")
            return False
        if len(values) != self._width:
            raise ValueError(f"expected {self._width} values, got {len(values)}")
        total = self._total
        # Times only grow: before the open bucket's end (see bucket_end), the sample is in it.
        if time_s >= self._open_end:
            bucket = int(time_s // self.bucket_s)
            if bucket != self._open_bucket:
                if self._open_bucket >= 0:
                    self._closed.append(_Bucket(self._open_bucket, self._open_start, total, self._width))
                self._open_bucket = bucket
                self._open_start = total
                self._open_end = bucket_end(bucket, self.bucket_s)
        capacity = self.capacity
        times = self._times
        times[total % capacity] = time_s
        self._rows[total % capacity] = values
        self._total = total + 1
        self._last_t = time_s
        # At a steady poll rate a full window loses one sample per push: that one is evicted
        # here, and _evict is called only when more must go or a closed bucket left the window.
        cutoff = time_s - self.window_s
        oldest = self._oldest
        if times[oldest % capacity] < cutoff:
            self._rows[oldest % capacity] = ()
            oldest = self._oldest = oldest + 1
            closed = self._closed
            if times[oldest % capacity] < cutoff or (closed and closed[0].stop <= oldest):
                self._evict(cutoff)
        return True

    def last_n_hours(self, hours: float) -> list[Sample]:
        """The samples of the last ``hours`` before the newest one (inclusive), oldest first."""
        start = self._first_at_or_after(self._window_start(hours))
        times, rows, capacity = self._times, self._rows, self.capacity
        return [Sample(times[k % capacity], rows[k % capacity]) for k in range(start, self._total)]

    def stats(self, series: str, hours: float) -> SeriesStats:
        """Count, min, max, mean and sample standard deviation of ``series`` over the last ``hours``."""
        column = self._column(series)
        first = self._first_at_or_after(self._window_start(hours))
        if first >= self._total:
            return SeriesStats(0, None, None, None, None)
        first_bucket = int(self._times[first % self.capacity] // self.bucket_s)
        if first_bucket == self._open_bucket:
            return _finish(self._summarise(column, first, self._total))
        merged = _EMPTY
        for bucket in self._closed:
            if bucket.number == first_bucket:
                merged = self._summarise(column, first, bucket.stop)
            elif bucket.number > first_bucket:
                cached = bucket.summaries[column]
                if cached is None:
                    cached = bucket.summaries[column] = self._summarise(column, bucket.start, bucket.stop)
                merged = _merge(merged, cached)
        return _finish(_merge(merged, self._summarise(column, self._open_start, self._total)))

    def _column(self, series: str) -> int:
        try:
            return self._index[series]
        except KeyError:
            raise KeyError(f"unknown series {series!r}; known: {', '.join(self.series)}") from None

    def _window_start(self, hours: float) -> float:
        if not hours > 0:
            raise ValueError(f"hours must be positive, got {hours!r}")
        return self._last_t - min(hours * 3600.0, self.window_s)

    def _summarise(self, column: int, start: int, stop: int) -> _Summary:
        rows, capacity = self._rows, self.capacity
        values = [x for x in (rows[k % capacity][column] for k in range(start, stop)) if x is not None]
        if not values:
            return _EMPTY
        mean = math.fsum(values) / len(values)
        m2 = math.fsum((x - mean) * (x - mean) for x in values)
        return (len(values), mean, m2, min(values), max(values))

    def _first_at_or_after(self, time_s: float) -> int:
        """Absolute index of the first stored sample at or after ``time_s`` (binary search)."""
        lo, hi = self._oldest, self._total
        times, capacity = self._times, self.capacity
        while lo < hi:
            mid = (lo + hi) // 2
            if times[mid % capacity] < time_s:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _evict(self, cutoff_s: float) -> None:
        times, capacity = self._times, self.capacity
        while self._oldest < self._total and times[self._oldest % capacity] < cutoff_s:
            self._rows[self._oldest % capacity] = ()
            self._oldest += 1
        while self._closed and self._closed[0].stop <= self._oldest:
            self._closed.popleft()


class _Bucket:
    """A closed bucket: its number, its samples' absolute indices, and summaries made on demand."""

    __slots__ = ("number", "start", "stop", "summaries")

    def __init__(self, number: int, start: int, stop: int, series: int) -> None:
        self.number = number
        self.start = start
        self.stop = stop
        self.summaries: list[_Summary | None] = [None] * series


_EMPTY: _Summary = (0, 0.0, 0.0, math.inf, -math.inf)


def _merge(a: _Summary, b: _Summary) -> _Summary:
    """Combine two summaries (Chan, Golub & LeVeque's pairwise update of the mean and M2)."""
    n_a, mean_a, m2_a, min_a, max_a = a
    n_b, mean_b, m2_b, min_b, max_b = b
    if n_a == 0:
        return b
    if n_b == 0:
        return a
    n = n_a + n_b
    delta = mean_b - mean_a
    mean = mean_a + delta * n_b / n
    m2 = m2_a + m2_b + delta * delta * n_a * n_b / n
    return (n, mean, m2, min(min_a, min_b), max(max_a, max_b))


def _finish(summary: _Summary) -> SeriesStats:
    n, mean, m2, minimum, maximum = summary
    if n == 0:
        return SeriesStats(0, None, None, None, None)
    std = math.sqrt(m2 / (n - 1)) if n > 1 else 0.0
    return SeriesStats(n, minimum, maximum, mean, std)
