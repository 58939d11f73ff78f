"""A frozen feed: every channel repeating the same frame, exactly, for tens of minutes.

Why a verdict above the sensors: a logger or a bus that loses its sensors often
keeps sending its last frame (docs/anomaly_thresholds.md, "A frozen feed"), so
every channel freezes at once, each at its own plausible value. One sensor's stuck
rule needs a flat stretch long for *that* quantity (hours for CO2 at night), but
several independent quantities that do not change by a single digit together are
not air: the OSU 2024 log holds one such frame for 23 readings (110 minutes,
2024-07-30 19:25 local), while its live data never repeats a whole frame for more
than four readings (15 minutes), so five identical frames and ten minutes make a
frozen feed: flagged after 10 minutes at a 1-minute poll, 20 at a 5-minute log.
"""

from __future__ import annotations

from brain.estimator.health import Evidence

Frame = tuple[float | None, ...]
"""One observation's readings, in a fixed sensor order (``None`` where there is none)."""


class FeedWatch:
    """Finds a feed that repeats its last frame: :meth:`observe` once per observation."""

    def __init__(self, *, frozen_s: float, min_channels: int, gap_s: float, min_repeats: int = 1) -> None:
        self._frozen_s = frozen_s
        self._min_repeats = min_repeats
        self._min_channels = min_channels
        self._gap_s = gap_s
        self._frame: Frame = ()
        self._since = 0.0
        """When the repeated frame first came."""
        self._last_t = 0.0
        self._repeats = 0

    def observe(self, t: float, frame: Frame, *, gap: bool) -> tuple[float, Evidence] | None:
        """``(since, evidence)`` while the feed is frozen at ``t``, else ``None``.

        Frozen: this frame equals the one before, value for value, with at least
        ``min_channels`` readings in it, and has done so without a gap since the
        frame first came ``frozen_s`` or more ago, repeated ``min_repeats`` times or more
        (at a 1-minute poll the time decides, at a 5-minute log the count: OSU's live
        data repeats a whole frame up to 3 times, its frozen feed 22 times).
        """
        live = gap or t - self._last_t > self._gap_s or frame != self._frame
        self._last_t = t
        if live or len(frame) - frame.count(None) < self._min_channels:
            self._frame = frame
            self._since = t
            self._repeats = 0
            return None
        self._repeats += 1
        held_s = t - self._since
        if held_s < self._frozen_s or self._repeats < self._min_repeats:
            return None
        return self._since, (held_s, "whole_frame_repeated_s", held_s, self._frozen_s)
