"""The estimator's history: the last 48 hours of estimated values, by time.

Why by time and with a fixed capacity: the poll interval is a setting, and a
buffer sized in samples would hold two hours at one poll rate and two weeks at
another. Here a sample is kept for ``window_s`` seconds, and at most one
sample per ``min_spacing_s`` is stored, so the memory bound holds whatever
the poll interval: ``window_s / min_spacing_s + 2`` slots of 8-byte floats per
series (48 h at 10 s: 17,282 slots x 8 series x 8 B = 1.1 MB, allocated once).

Why buckets: ``stats()`` must not walk two days of samples on every call. The
samples of each closed ``bucket_s`` bucket are summarised once, when the bucket
closes (count, mean, sum of squared deviations, min, max); a query merges the
summaries of the whole buckets in its window (Chan, Golub & LeVeque 1979 for
the variance) and scans raw samples only in the partial bucket at its start
and in the open bucket at its end. That makes it exact, not approximate.

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

_NAN = math.nan

_Summary = tuple[int, float, float, float, float]
"""count, mean, sum of squared deviations (M2), min, max of one series in one bucket."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One stored sample: its time and one value per series (``None`` where there was none)."""

    time_s: float
    """Estimator time in seconds (observation epoch seconds, kept increasing across clock steps)."""
    values: tuple[float | None, ...]
    """One value per series, in the buffer's series order."""


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
        self.window_s = window_s
        self.min_spacing_s = min_spacing_s
        self.bucket_s = bucket_s
        self.capacity = int(window_s // min_spacing_s) + 2
        self._index = {name: i for i, name in enumerate(self.series)}
        self._times = array("d", [_NAN]) * self.capacity
        self._values = [array("d", [_NAN]) * self.capacity for _ in self.series]
        self._total = 0
        """Samples ever stored; sample k lives at slot k % capacity."""
        self._oldest = 0
        """Absolute index of the oldest sample still in the window."""
        self._last_t = -math.inf
        self._open_bucket = -1
        self._open_start = 0
        """Absolute index of the first sample of the open bucket."""
        self._closed: deque[tuple[int, tuple[_Summary, ...]]] = deque()

    def __len__(self) -> int:
        return self._total - self._oldest

    @property
    def latest_time_s(self) -> float | None:
        """Time of the newest stored sample, or ``None`` when empty."""
        return None if self._total == self._oldest else self._last_t

    def push(self, time_s: float, values: Sequence[float | None]) -> bool:
        """Store a sample; return ``False`` when it came sooner than ``min_spacing_s`` and was skipped.

        Times must increase: the estimator feeds its monotonic time, so an
        older time is a programming error (``ValueError``).
        """
        if time_s <= self._last_t:
            raise ValueError(f"ring buffer times must increase: {time_s} after {self._last_t}")
        if time_s - self._last_t < self.min_spacing_s:
            return False
        if len(values) != len(self.series):
            raise ValueError(f"expected {len(self.series)} values, got {len(values)}")
        bucket = int(time_s // self.bucket_s)
        if bucket != self._open_bucket:
            self._close_open_bucket()
            self._open_bucket = bucket
            self._open_start = self._total
        slot = self._total % self.capacity
        self._times[slot] = time_s
        for column, value in zip(self._values, values, strict=True):
            column[slot] = _NAN if value is None else value
        self._total += 1
        self._last_t = time_s
        self._evict(time_s - self.window_s)
        return True

    def last_n_hours(self, hours: float) -> list[Sample]:
        """The samples of the last ``hours`` before the newest one (inclusive), oldest first."""
        start = self._first_at_or_after(self._window_start(hours))
        return [self._sample(k) for k in range(start, self._total)]

    def stats(self, series: str, hours: float) -> SeriesStats:
        """Count, min, max, mean and sample standard deviation of ``series`` over the last ``hours``."""
        column = self._values[self._column(series)]
        first = self._first_at_or_after(self._window_start(hours))
        if first >= self._total:
            return SeriesStats(0, None, None, None, None)
        first_bucket = int(self._times[first % self.capacity] // self.bucket_s)
        if first_bucket == self._open_bucket:
            return _finish(_summarise(column, first, self._total, self.capacity))
        first_bucket_end = self._bucket_end(first, first_bucket)
        merged = _summarise(column, first, first_bucket_end, self.capacity)
        column_index = self._column(series)
        for bucket, summaries in self._closed:
            if bucket > first_bucket:
                merged = _merge(merged, summaries[column_index])
        open_part = _summarise(column, self._open_start, self._total, self.capacity)
        return _finish(_merge(merged, open_part))

    def _column(self, series: str) -> int:
        try:
            return self._index[series]
        except KeyError:
            raise KeyError(f"unknown series {series!r}; known: {', '.join(self.series)}") from None

    def _window_start(self, hours: float) -> float:
        if not hours > 0:
            raise ValueError(f"hours must be positive, got {hours!r}")
        return self._last_t - min(hours * 3600.0, self.window_s)

    def _sample(self, k: int) -> Sample:
        slot = k % self.capacity
        values = tuple(None if math.isnan(col[slot]) else col[slot] for col in self._values)
        return Sample(self._times[slot], values)

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

    def _bucket_end(self, first: int, bucket: int) -> int:
        """Absolute index just past the last sample of ``bucket``, scanning from ``first``."""
        k = first
        times, capacity, bucket_s = self._times, self.capacity, self.bucket_s
        while k < self._total and int(times[k % capacity] // bucket_s) == bucket:
            k += 1
        return k

    def _close_open_bucket(self) -> None:
        if self._open_bucket < 0 or self._open_start >= self._total:
            return
        summaries = tuple(
            _summarise(column, self._open_start, self._total, self.capacity) for column in self._values
        )
        self._closed.append((self._open_bucket, summaries))

    def _evict(self, cutoff_s: float) -> None:
        times, capacity = self._times, self.capacity
        while self._oldest < self._total and times[self._oldest % capacity] < cutoff_s:
            self._oldest += 1
        oldest_bucket = int(cutoff_s // self.bucket_s)
        while self._closed and self._closed[0][0] < oldest_bucket:
            self._closed.popleft()


def _summarise(column: array[float], start: int, stop: int, capacity: int) -> _Summary:
    values = [x for x in (column[k % capacity] for k in range(start, stop)) if not math.isnan(x)]
    if not values:
        return (0, 0.0, 0.0, math.inf, -math.inf)
    mean = math.fsum(values) / len(values)
    m2 = math.fsum((x - mean) * (x - mean) for x in values)
    return (len(values), mean, m2, min(values), max(values))


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
