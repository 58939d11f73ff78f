"""Climate anomalies as episodes, told the way a grower reads them.

Why episodes with durations and hysteresis: a grower needs "too hot since
13:20" and later "over", not a record per poll while the value wavers around
30 degC. Each kind (``thresholds.toml``, ``[anomalies.*]``) has a warning and
optionally a critical threshold, a hysteresis, the time the value must stay past
a threshold before an episode starts (``*_start_s``) and back inside before it
ends (``end_s``), and a gap within which a re-trigger continues the same
episode (``merge_gap_s``).

One episode, one story (records since schema 1.1, docs/anomaly_thresholds.md):

- a **start** record (``ended_at`` null) when it begins;
- a **severity change** record (same ``kind`` and ``started_at``, ``ended_at``
  null, the new severity, a message saying "Escalated to" / "Eased to") when a
  warning becomes critical or a critical one calms to the warning level;
- an **end** record (``ended_at`` set; its severity is the worst the episode
  reached) once the value has been back inside for ``end_s`` and did not come
  back within ``merge_gap_s``: "Over after 2.4 h (worst: critical, 36.10 C)".

Untrusted data: a metric resting on an excluded sensor is not judged (``None``
here). An open episode whose metric can no longer be judged ends at once, with a
message saying why: the log never claims an ongoing anomaly on data brain does
not trust. A rule that does not apply now (a daylight rule at night) ends its
episode after ``end_s``, saying why.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from brain.contracts import ANOMALY_SCHEMA_VERSION, AnomalyKind, AnomalyV1, Metric, Severity
from brain.estimator.families import ENDED_BECAUSE, UNTRUSTED, Families, FamilyRule
from brain.estimator.settings import AnomalyRule, Direction, FamilySettings, When

_UNITS = {
    Metric.AIR_TEMPERATURE_C: ("Air temperature", "C"),
    Metric.RELATIVE_HUMIDITY_PCT: ("Relative humidity", "%"),
    Metric.CO2_PPM: ("CO2", "ppm"),
    Metric.PAR_UMOL_M2_S: ("PAR", "umol/m2/s"),
    Metric.SUBSTRATE_MOISTURE_PCT: ("Substrate water content", "%"),
    Metric.VPD_KPA: ("VPD", "kPa"),
    Metric.DEW_POINT_MARGIN_C: ("Margin to the dew point", "C"),
    Metric.NIGHT_MEAN_AIR_TEMPERATURE_C: ("Night mean air temperature", "C"),
    Metric.MEAN_24H_AIR_TEMPERATURE_C: ("24-hour mean air temperature", "C"),
    Metric.DAILY_LIGHT_INTEGRAL_MOL_M2_D: ("Daily light integral", "mol/m2/d"),
}

_WHY = {
    AnomalyKind.TEMPERATURE_HIGH: "pollen viability and fruit set fall",
    AnomalyKind.TEMPERATURE_LOW: "chilling injury; growth and fruit set slow",
    AnomalyKind.HUMIDITY_HIGH: "Botrytis and leaf mould risk",
    AnomalyKind.VPD_LOW: "transpiration and calcium transport stall; disease risk",
    AnomalyKind.VPD_HIGH: "water stress: stomata close and photosynthesis drops",
    AnomalyKind.CONDENSATION_RISK: "water may condense on leaves and fruit",
    AnomalyKind.CO2_LOW: "photosynthesis is CO2-limited",
    AnomalyKind.CO2_HIGH: "above the crop's limit: leaf damage and lower yield reported",
    AnomalyKind.SUBSTRATE_DRY: "roots run short of water",
    AnomalyKind.WARM_NIGHT: "warm nights harm pollen and fruit set",
    AnomalyKind.TEMPERATURE_MEAN_HIGH: "fruit set and yield fall above a 25-26 C daily mean",
    AnomalyKind.LIGHT_INTEGRAL_LOW: "too little light for the crop's growth",
    AnomalyKind.CO2_ENRICHMENT_IN_DARK: "CO2 given in the dark is wasted: no photosynthesis",
    AnomalyKind.TEMPERATURE_MEAN_LOW: "a whole day below the night optimum: growth and ripening slow",
}
_WHY_CRITICAL = {
    AnomalyKind.CO2_HIGH: "above the 8-hour exposure limit for people (OSHA PEL)",
    AnomalyKind.TEMPERATURE_LOW: "chilling injury from about 10 C: heat now",
}
"""Where the critical level has another reason than the warning."""
_NOT_APPLICABLE = {
    When.DAYLIGHT: "the rule applies in daylight only",
    When.DARK: "the rule applies in the dark only",
    When.ALWAYS: "the rule no longer applies",
}

_NONE, _WARNING, _CRITICAL = 0, 1, 2
METRICS: tuple[Metric, ...] = tuple(Metric)
"""The order of the metric values :meth:`AnomalyDetector.step` takes."""
_SEVERITY = (Severity.INFO, Severity.WARNING, Severity.CRITICAL)
Moment = tuple[float, datetime]
"""Estimator time and timestamp of an observation."""


def _value_in(metrics: Sequence[float | None]) -> Callable[[Metric], float | None]:
    """A metric's value in ``metrics`` (``METRICS`` order)."""
    return lambda metric: metrics[METRICS.index(metric)]


def _past_threshold(value: float, threshold: float, *, above: bool) -> str:
    """``value`` in two decimals, or in as many more as it takes to print it on its side of ``threshold``.

    Why: a message said "VPD 0.30 kPa below 0.3 kPa" of a reading of 0.2995; a grower reads
    that as a rule that fired for nothing. Two decimals where they suffice, as every message.
    """
    for digits in (2, 3, 4):
        text = f"{value:.{digits}f}"
        if (float(text) > threshold) if above else (float(text) < threshold):
            return text
    return repr(value)


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60.0)
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60.0:.1f} h"


@dataclass(slots=True)
class _Episode:
    """An open episode: when it began, its level now, the worst it reached, and whether it is over."""

    start: Moment
    level: int
    worst_level: int
    worst_value: float
    back_since: Moment | None = None
    """Back inside the warning's exit threshold since then (for ``end_s``): it is over
    unless it comes back within ``merge_gap_s``; ``None`` while it lasts."""
    back_value: float = 0.0
    """The value when it came back inside."""
    why_over: str | None = None
    """Why it is over when that is not the value coming back (the rule stopped applying)."""


class _KindTracker:
    """The episode state machine of one anomaly kind."""

    def __init__(self, kind: AnomalyKind, rule: AnomalyRule) -> None:
        self.kind = kind
        self.rule = rule
        self.above = rule.direction is Direction.ABOVE
        sign = 1.0 if self.above else -1.0
        critical = rule.critical
        self._enter = (0.0, rule.warning, rule.warning if critical is None else critical)
        self._exit = tuple(threshold - sign * rule.hysteresis for threshold in self._enter)
        self._start_s = (0.0, rule.warning_start_s, rule.critical_start_s)
        self._top = _CRITICAL if critical is not None else _WARNING
        """The highest level this rule has."""
        self.episode: _Episode | None = None
        self.past_since: list[Moment | None] = [None, None, None]
        """Per level: since when the value has been past its enter threshold."""
        self.inside_since: list[Moment | None] = [None, None, None]
        """Per level: since when the value has been back inside its exit threshold."""
        self.last_value = 0.0
        self.metric_index = METRICS.index(rule.metric)
        self.when = rule.when
        self.quiet_below = rule.warning if self.above else -rule.warning
        """A value (negated for ``below`` rules) at or under this cannot start anything."""
        self.idle = True
        """No episode and no threshold crossed: a calm value changes nothing (kept by ``step``)."""
        self.started = 0
        """Episodes started by the last :meth:`step` (0 or 1)."""
        self.pending_worst: float | None = None
        """The most extreme value since the value went past the warning threshold, before an
        episode started: the qualifying window is part of the episode's worst."""

    def _past(self, value: float, threshold: float) -> bool:
        return value > threshold if self.above else value < threshold

    def step(
        self,
        t: float,
        ts: datetime,
        value: float | None,
        site_id: str,
        *,
        applicable: bool = True,
        since: Moment | None = None,
    ) -> list[AnomalyV1]:
        """Judge one value: ``None`` is not judged (untrusted); not ``applicable``: the rule is off now.

        ``since``: when the period the value describes began (a day's light integral),
        so that an episode starts and ends at the period's start, not when it was judged.
        """
        self.started = 0
        now = (t, ts)
        if value is None:
            records = self._not_judged(now, site_id)
        else:
            self.last_value = value
            self._track(now if since is None else since, value, applicable)
            if self.episode is None:
                self._note_pending(value)
            records = self._judge(now, value, site_id, applicable)
        self.idle = (
            self.episode is None and self.past_since[_WARNING] is None and self.past_since[_CRITICAL] is None
        )
        return records

    def _track(self, now: Moment, value: float, applicable: bool) -> None:
        """Update since when the value has been past each enter threshold and inside each exit threshold."""
        episode = self.episode
        level = _NONE if episode is None or episode.back_since is not None else episode.level
        for lvl in range(_WARNING, self._top + 1):
            threshold = self._exit[lvl] if level >= lvl else self._enter[lvl]
            if applicable and self._past(value, threshold):
                if self.past_since[lvl] is None:
                    self.past_since[lvl] = now
            else:
                self.past_since[lvl] = None
            if applicable and self._past(value, self._exit[lvl]):
                self.inside_since[lvl] = None
            elif self.inside_since[lvl] is None:
                self.inside_since[lvl] = now

    def _note_pending(self, value: float) -> None:
        """Keep the worst value of the qualifying window (the time past the threshold before a start)."""
        worst = self.pending_worst
        if self.past_since[_WARNING] is None:
            self.pending_worst = None
        elif worst is None or (value > worst if self.above else value < worst):
            self.pending_worst = value

    def _due(self, level: int, now: Moment) -> Moment | None:
        """When the value began to be past ``level`` if it has been long enough to count, else ``None``."""
        since = self.past_since[level]
        if since is not None and now[0] - since[0] >= self._start_s[level]:
            return since
        return None

    def _judge(self, now: Moment, value: float, site_id: str, applicable: bool) -> list[AnomalyV1]:
        episode = self.episode
        if episode is None:
            return self._judge_idle(now, value, site_id)
        if episode.back_since is not None:
            return self._judge_closing(episode, now, value, site_id)
        if (self.above and value > episode.worst_value) or (not self.above and value < episode.worst_value):
            episode.worst_value = value
        for level in range(self._top, episode.level, -1):
            if self._due(level, now) is not None:
                return [self._severity_record(level, now, value, site_id)]
        back = self.inside_since[_WARNING]
        if back is not None and now[0] - back[0] >= self.rule.end_s:
            episode.back_since = back
            episode.back_value = value
            episode.why_over = None if applicable else self._not_applicable_why()
            return self._judge_closing(episode, now, value, site_id)
        calmer = self.inside_since[episode.level]
        if episode.level == _CRITICAL and calmer is not None and now[0] - calmer[0] >= self.rule.end_s:
            return [self._severity_record(_WARNING, now, value, site_id)]
        return []

    def _judge_idle(self, now: Moment, value: float, site_id: str) -> list[AnomalyV1]:
        """No episode: one starts when the value has been past a threshold long enough."""
        for level in range(self._top, _NONE, -1):
            if self._due(level, now) is not None:
                start = self.past_since[_WARNING] or self.past_since[level]
                assert start is not None
                worst = self.pending_worst
                if worst is None or (value > worst if self.above else value < worst):
                    worst = value
                self.pending_worst = None
                self.episode = _Episode(start=start, level=level, worst_level=level, worst_value=worst)
                self.started = 1
                return [self._start_record(now, value, site_id)]
        return []

    def _judge_closing(self, episode: _Episode, now: Moment, value: float, site_id: str) -> list[AnomalyV1]:
        """Back inside: the same episode if it comes back within ``merge_gap_s``, else its end."""
        assert episode.back_since is not None
        gap_end = episode.back_since[0] + self.rule.merge_gap_s
        for level in range(self._top, _NONE, -1):
            since = self._due(level, now)
            if since is not None and since[0] <= gap_end:  # a re-trigger within the gap: merged
                episode.back_since = None
                episode.why_over = None
                if level != episode.level:
                    return [self._severity_record(level, now, value, site_id)]
                return []
        pending = self.past_since[_WARNING]
        if now[0] < gap_end or (pending is not None and pending[0] <= gap_end):
            return []  # it may still come back within the gap
        record = self._end_record(now, value, site_id)
        self.episode = None
        return [record]

    def _not_judged(self, now: Moment, site_id: str) -> list[AnomalyV1]:
        self.pending_worst = None
        self.past_since = [None, None, None]
        self.inside_since = [None, None, None]
        episode = self.episode
        if episode is None:
            return []
        if episode.back_since is None:
            episode.back_since = now
            episode.back_value = self.last_value
            episode.why_over = UNTRUSTED
        record = self._end_record(now, self.last_value, site_id)
        self.episode = None
        return [record]

    def close(self, ts: datetime, site_id: str, why: str) -> list[AnomalyV1]:
        """End any episode at ``ts`` (a wall-clock step back) and forget pending timers."""
        self.pending_worst = None
        self.past_since = [None, None, None]
        self.inside_since = [None, None, None]
        self.idle = True
        episode = self.episode
        if episode is None:
            return []
        if episode.back_since is None:
            episode.back_since = (-math.inf, ts)
            episode.back_value = self.last_value
            episode.why_over = why
        record = self._end_record((-math.inf, ts), self.last_value, site_id)
        self.episode = None
        return [record]

    def _not_applicable_why(self) -> str:
        return _NOT_APPLICABLE[self.when]

    def _why(self, level: int) -> str:
        return _WHY_CRITICAL.get(self.kind, _WHY[self.kind]) if level == _CRITICAL else _WHY[self.kind]

    def _start_record(self, now: Moment, value: float, site_id: str) -> AnomalyV1:
        episode = self.episode
        assert episode is not None
        name, unit = _UNITS[self.rule.metric]
        threshold = self._enter[episode.level]
        side = "above" if self.above else "below"
        held = (now[1] - episode.start[1]).total_seconds()
        shown = _past_threshold(value, threshold, above=self.above)
        message = (
            f"{name} {shown} {unit} {side} {threshold:g} {unit} for {_duration(held)}: "
            f"{self._why(episode.level)}."
        )
        return self._record(
            now, episode.level, value, threshold, ended_at=None, message=message, site_id=site_id
        )

    def _severity_record(self, level: int, now: Moment, value: float, site_id: str) -> AnomalyV1:
        """The episode goes on at another level: escalated, or eased."""
        episode = self.episode
        assert episode is not None
        name, unit = _UNITS[self.rule.metric]
        escalated = level > episode.level
        episode.level = level
        episode.worst_level = max(episode.worst_level, level)
        if escalated:
            threshold = self._enter[level]
            since = self.past_since[level]
            held = 0.0 if since is None else (now[1] - since[1]).total_seconds()
            side = "above" if self.above else "below"
            shown = _past_threshold(value, threshold, above=self.above)
            message = f"Escalated to {_SEVERITY[level].value}: {name} {shown} {unit} {side} "
            message += f"{threshold:g} {unit} for {_duration(held)}: {self._why(level)}."
        else:
            threshold = self._exit[level + 1]
            back = "below" if self.above else "above"
            side = "above" if self.above else "below"
            shown = _past_threshold(value, threshold, above=not self.above)
            message = f"Eased to {_SEVERITY[level].value}: {name} {shown} {unit} back {back} "
            message += f"{threshold:g} {unit}, still {side} {self._exit[level]:g} {unit}."
        return self._record(now, level, value, threshold, ended_at=None, message=message, site_id=site_id)

    def _end_record(self, now: Moment, value: float, site_id: str) -> AnomalyV1:
        episode = self.episode
        assert episode is not None and episode.back_since is not None
        name, unit = _UNITS[self.rule.metric]
        ended_at = max(episode.back_since[1], episode.start[1])
        lasted = _duration((ended_at - episode.start[1]).total_seconds())
        worst = f"worst: {_SEVERITY[episode.worst_level].value}, {episode.worst_value:.2f} {unit}"
        threshold = self._exit[_WARNING]
        if episode.why_over is None and not self._past(value, threshold):
            back = "below" if self.above else "above"
            inside = _duration((now[1] - episode.back_since[1]).total_seconds())
            message = (
                f"Over after {lasted} ({worst}): {name} back {back} {threshold:g} {unit} for {inside}, "
                f"now {value:.2f} {unit}."
            )
        elif episode.why_over is None:  # past it again now, but too briefly to go on: say so
            back = "below" if self.above else "above"
            message = (
                f"Over after {lasted} ({worst}): {name} was back {back} {threshold:g} {unit} for "
                f"{_duration(self.rule.end_s)} or more; now {value:.2f} {unit}, too briefly to count."
            )
        else:
            message = f"{ENDED_BECAUSE} {lasted} ({worst}) because {episode.why_over}; "
            message += f"last {name} {value:.2f} {unit}."
        level = episode.worst_level
        return self._record(now, level, value, threshold, ended_at=ended_at, message=message, site_id=site_id)

    def trigger_threshold(self, level: int) -> float:
        """The threshold that starts ``level`` (the one a table shows), not the release one."""
        return self._enter[level]

    def _record(
        self,
        now: Moment,
        level: int,
        value: float,
        threshold: float,
        *,
        ended_at: datetime | None,
        message: str,
        site_id: str,
    ) -> AnomalyV1:
        episode = self.episode
        assert episode is not None
        worst = episode.worst_value
        if self._past(value, worst):
            worst = episode.worst_value = value
        return AnomalyV1(
            schema_version=ANOMALY_SCHEMA_VERSION,
            timestamp=now[1],
            site_id=site_id,
            severity=_SEVERITY[level],
            kind=self.kind,
            metric=self.rule.metric,
            observed_value=value,
            threshold=threshold,
            started_at=episode.start[1],
            ended_at=ended_at,
            message=message,
            rules=[self.kind],
            trigger_threshold=self._enter[level],
            worst_value=worst,
        )


class AnomalyDetector:
    """All anomaly kinds; :meth:`step` returns the records one observation reveals."""

    def __init__(
        self, rules: Mapping[AnomalyKind, AnomalyRule], families: Mapping[str, FamilySettings] | None = None
    ) -> None:
        self._trackers = [_KindTracker(kind, rules[kind]) for kind in AnomalyKind]
        grouped = families or {}
        self._families = Families(
            [
                FamilyRule(
                    name,
                    tuple(grouped[name].kinds),
                    grouped[name].standing_after_s,
                    grouped[name].standing_gap_s,
                    grouped[name].merge_gap_s,
                )
                for name in sorted(grouped)
            ],
            list(AnomalyKind),
        )
        calm: dict[int, tuple[float, float]] = {}
        for tracker in self._trackers:
            low, high = calm.get(tracker.metric_index, (-math.inf, math.inf))
            if tracker.above:
                high = min(high, tracker.rule.warning)
            else:
                low = max(low, tracker.rule.warning)
            calm[tracker.metric_index] = (low, high)
        self._calm = tuple((index, low, high) for index, (low, high) in sorted(calm.items()))
        """Per judged metric: the values that start nothing under any of its rules, day or night."""
        self._busy: list[_KindTracker] = []
        """The kinds with an episode or a threshold crossed (kind order); empty: all idle."""
        self.episodes_started = 0
        """How many episodes the last :meth:`step` started (its other records continue or end one)."""

    def step(
        self,
        t: float,
        ts: datetime,
        metrics: Sequence[float | None],
        site_id: str,
        daylight: bool | None,
        *,
        since: Mapping[Metric, Moment] | None = None,
    ) -> list[AnomalyV1]:
        """Judge one observation's metrics (in ``METRICS`` order, ``None`` where not trusted).

        ``daylight`` ``None`` means unknown (no trusted PAR); ``since``: per metric that
        describes a whole period, when that period began (a night's mean, a day's light).

        Why the calm check: every kind is judged at every poll and almost always nothing happens; while
        every kind is idle and every metric is calm for all its rules, the step is
        over after one comparison per metric; while some episode is open (a dark winter's
        light integral, for days) only the open kinds and the kinds of a metric past one of
        its thresholds are looked at (``bench/estimator.py``'s month file, issue 18, item 8).
        """
        self.episodes_started = 0
        hot = []  # the metrics past a threshold of one of their rules
        for index, low, high in self._calm:
            value = metrics[index]
            if value is not None and not low <= value <= high:
                hot.append(index)
        families = self._families
        if not hot and not self._busy:
            return families.tick(t, ts, _value_in(metrics)) if families.waiting else []
        records: list[AnomalyV1] = []
        busy = []
        for tracker in self._trackers if hot else self._busy:
            if tracker.idle and tracker.metric_index not in hot:
                continue  # calm for every rule of its metric: nothing to start, nothing open
            value = metrics[tracker.metric_index]
            when = tracker.when
            applicable = (
                when is When.ALWAYS
                or (when is When.DAYLIGHT and daylight is not False)
                or (when is When.DARK and daylight is False)
            )
            if tracker.idle and (
                value is None or not applicable or (value if tracker.above else -value) <= tracker.quiet_below
            ):
                continue
            period = None if since is None else since.get(tracker.rule.metric)
            records.extend(tracker.step(t, ts, value, site_id, applicable=applicable, since=period))
            if not tracker.idle:
                busy.append(tracker)
        self._busy = busy
        if records:
            records = families.take(t, records)
            self.episodes_started = families.started
        if families.waiting:
            records.extend(families.tick(t, ts, _value_in(metrics)))
        return records

    def close_all(self, ts: datetime, site_id: str, why: str) -> list[AnomalyV1]:
        """End every episode at ``ts`` (used when the wall clock stepped back)."""
        records: list[AnomalyV1] = []
        for tracker in self._trackers:
            records.extend(tracker.close(ts, site_id, why))
        self._busy = []  # closing forgets every episode and every timer
        return self._families.close_all(-math.inf, records)
