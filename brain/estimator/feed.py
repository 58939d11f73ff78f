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


Verdict = tuple[float, Evidence]
"""``(since, evidence)`` of a frozen channel."""


class FeedWatch:
    """Finds a feed, or a group of its channels, repeating its values: :meth:`observe` at each step.

    A **group** (issue 28): some channels, at least ``min_channels``, each repeating its value
    exactly for ``group_frozen_s`` while another channel moves: a bus that lost two of its three
    sensors. Only channels whose own exact-repeat time is at most that long take part (not CO2,
    whose integer readings hold for 45 minutes live, nor a slab probe, which plateaus overnight),
    and not while they read at or below their dark floor (PAR at night). Each channel is that
    sensor's own exact-repeat rule too, but a coarse one (a 1 % humidity, a 0.1 degC temperature)
    is not judged by it alone (docs/anomaly_thresholds.md); two of them frozen together for an
    hour are. OSU's live data holds its temperature and
    humidity together for at most 11 readings (50 minutes).
    """

    def __init__(
        self,
        *,
        frozen_s: float,
        min_channels: int,
        gap_s: float,
        min_repeats: int = 1,
        group_frozen_s: float = float("inf"),
        group_floor: tuple[float | None, ...] = (),
    ) -> None:
        self._frozen_s = frozen_s
        self._min_repeats = min_repeats
        self._min_channels = min_channels
        self._gap_s = gap_s
        self._group_s = group_frozen_s
        self._group_floor = group_floor
        """Per channel: ``None`` if it is never part of a group (a quantity that plausibly holds for
        hours: CO2 at night, a slab overnight), else the value at or below which holding is normal
        (PAR in the dark), ``-inf`` for none."""
        self._frame: Frame = ()
        self._since = 0.0
        """When the repeated frame first came."""
        self._last_t = 0.0
        self._repeats = 0
        self._channel_since: list[float] = []
        """Per channel: since when it has held its value exactly."""
        self._group_soonest = float("inf")
        """The soonest time a group can be frozen (the oldest held channel's start plus the group time)."""

    def observe(self, t: float, frame: Frame, *, gap: bool) -> tuple[Verdict | None, ...] | None:
        """Per channel, ``(since, evidence)`` while it is frozen at ``t``; ``None`` when none is.

        The whole feed: this frame equals the one before, value for value, with at least
        ``min_channels`` readings in it, and has done so without a gap since the
        frame first came ``frozen_s`` or more ago, repeated ``min_repeats`` times or more
        (at a 1-minute poll the time decides, at a 5-minute log the count: OSU's live
        data repeats a whole frame up to 3 times, its frozen feed 22 times). A group: see the class.
        """
        broken = gap or t - self._last_t > self._gap_s or len(frame) != len(self._frame)
        live = broken or frame != self._frame
        previous = self._frame
        self._last_t = t
        self._frame = frame
        if broken:
            self._channel_since = [t] * len(frame)
            self._group_soonest = t + self._group_s
        elif live:  # some channel changed: restart those, and see whether a group is held long
            since = self._channel_since
            for i, value in enumerate(frame):
                if value != previous[i]:
                    since[i] = t
            self._group_soonest = min(since) + self._group_s
        if live or len(frame) - frame.count(None) < self._min_channels:
            self._since = t
            self._repeats = 0
        else:
            self._repeats += 1
            held_s = t - self._since
            if held_s >= self._frozen_s and self._repeats >= self._min_repeats:
                verdict = (self._since, (held_s, "whole_frame_repeated_s", held_s, self._frozen_s))
                return tuple(None if value is None else verdict for value in frame)
        return self._group(t, frame) if t >= self._group_soonest else None

    def _group(self, t: float, frame: Frame) -> tuple[Verdict | None, ...] | None:
        """The channels held exactly for ``group_frozen_s``, when there are ``min_channels`` of them."""
        limit = self._group_s
        held = [
            value is not None and floor is not None and value > floor and t - since >= limit
            for value, since, floor in zip(frame, self._channel_since, self._group_floor, strict=True)
        ]
        if sum(held) < self._min_channels:
            return None
        return tuple(
            (since, (t - since, "group_repeated_s", t - since, limit)) if frozen else None
            for frozen, since in zip(held, self._channel_since, strict=True)
        )
