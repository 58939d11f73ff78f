"""Climate anomalies as episodes: one record when an episode starts, one when it ends.

Why episodes with durations and hysteresis: a grower needs "too hot since
13:20" and later "back to normal at 15:05", not a record per poll while the
value wavers around 30 degC. Each kind (``thresholds.toml``, ``[anomalies.*]``)
has a warning and optionally a critical threshold, a hysteresis, and the time
the value must stay past a threshold before an episode starts (``*_start_s``)
and back inside before it ends (``end_s``).

Severity changes: an episode has one severity. When a warning episode
escalates, it ends and a critical episode starts at the same instant; when
a critical episode calms down to the warning level, it ends and a warning
episode starts. Every start has exactly one end with the same ``kind`` and
``started_at``, so pairing records is trivial and the log reads like a story.

Untrusted data: a metric resting on an excluded sensor is not judged (``None``
here). An open episode whose metric can no longer be judged ends at once,
with a message saying why: the log never claims an ongoing anomaly on data
brain does not trust, and a new episode starts (after its start time) when
the sensor is trusted again and the condition still holds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime

from brain.contracts import AnomalyKind, AnomalyV1, Metric, Severity
from brain.estimator.settings import AnomalyRule, Direction

_UNITS = {
    Metric.AIR_TEMPERATURE_C: ("Air temperature", "C"),
    Metric.RELATIVE_HUMIDITY_PCT: ("Relative humidity", "%"),
    Metric.CO2_PPM: ("CO2", "ppm"),
    Metric.PAR_UMOL_M2_S: ("PAR", "umol/m2/s"),
    Metric.SUBSTRATE_MOISTURE_PCT: ("Substrate water content", "%"),
    Metric.VPD_KPA: ("VPD", "kPa"),
    Metric.DEW_POINT_MARGIN_C: ("Margin to the dew point", "C"),
}

_WHY = {
    AnomalyKind.TEMPERATURE_HIGH: "pollen viability and fruit set fall",
    AnomalyKind.TEMPERATURE_LOW: "chilling injury; growth and fruit set slow",
    AnomalyKind.HUMIDITY_HIGH: "Botrytis and leaf mould risk",
    AnomalyKind.VPD_LOW: "transpiration and calcium transport stall; disease risk",
    AnomalyKind.VPD_HIGH: "water stress: stomata close and photosynthesis drops",
    AnomalyKind.CONDENSATION_RISK: "water may condense on leaves and fruit",
    AnomalyKind.CO2_LOW: "photosynthesis is CO2-limited",
    AnomalyKind.CO2_HIGH: "above the worker exposure limit",
    AnomalyKind.SUBSTRATE_DRY: "roots run short of water",
}

_NONE, _WARNING, _CRITICAL = 0, 1, 2
METRICS: tuple[Metric, ...] = tuple(Metric)
"""The order of the metric values :meth:`AnomalyDetector.step` takes."""
_SEVERITY = (Severity.INFO, Severity.WARNING, Severity.CRITICAL)


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60.0)
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60.0:.1f} h"


class _KindTracker:
    """The episode state machine of one anomaly kind."""

    __slots__ = (
        "_end_s",
        "_enter",
        "_exit",
        "_start_s",
        "_top",
        "above",
        "daylight_only",
        "episode_start",
        "idle",
        "inside_since",
        "kind",
        "last_value",
        "level",
        "metric_index",
        "past_since",
        "quiet_below",
        "rule",
    )

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
        self._end_s = rule.end_s
        self.level = _NONE
        self.episode_start: tuple[float, datetime] | None = None
        self.past_since: list[tuple[float, datetime] | None] = [None, None, None]
        """Per level: since when the value has been past its enter threshold."""
        self.inside_since: list[tuple[float, datetime] | None] = [None, None, None]
        """Per level: since when the value has been back inside its exit threshold."""
        self.last_value = 0.0
        self.metric_index = METRICS.index(rule.metric)
        self.daylight_only = rule.daylight_only
        self.quiet_below = rule.warning if self.above else -rule.warning
        """A value (negated for ``below`` rules) at or under this cannot start anything."""
        self.idle = True
        """No episode open and no threshold crossed: a calm value changes nothing (kept by ``step``)."""

    def _past(self, value: float, threshold: float) -> bool:
        return value > threshold if self.above else value < threshold

    def step(
        self, t: float, ts: datetime, value: float | None, site_id: str, applicable: bool = True
    ) -> list[AnomalyV1]:
        """Judge one value: ``None`` is not judged (untrusted); not ``applicable``: the rule is off now."""
        records = self._judge(t, ts, value, site_id, applicable)
        self.idle = self.level == _NONE and self.past_since[1] is None and self.past_since[2] is None
        return records

    def _judge(
        self, t: float, ts: datetime, value: float | None, site_id: str, applicable: bool
    ) -> list[AnomalyV1]:
        if value is None:
            return self._not_judged(ts, site_id)
        self.last_value = value
        # Runs at every poll while an episode is open or a threshold crossed: locals, no calls.
        above, current, top = self.above, self.level, self._top
        enter, leave, past_since, inside_since = self._enter, self._exit, self.past_since, self.inside_since
        for level in range(_WARNING, top + 1):
            threshold = leave[level] if current >= level else enter[level]
            if applicable and (value > threshold if above else value < threshold):
                if past_since[level] is None:
                    past_since[level] = (t, ts)
            else:
                past_since[level] = None
            threshold = leave[level]
            if applicable and (value > threshold if above else value < threshold):
                inside_since[level] = None
            elif inside_since[level] is None:
                inside_since[level] = (t, ts)
        for level in range(top, self.level, -1):
            since = self.past_since[level]
            if since is not None and t - since[0] >= self._start_s[level]:
                return self._change(level, since, ts, value, site_id, why=None)
        if self.level > _NONE:
            back = self.inside_since[self.level]
            if back is not None and t - back[0] >= self._end_s:
                if not applicable:
                    return self._change(
                        _NONE, back, ts, value, site_id, why="the rule applies in daylight only"
                    )
                still_warning = self.level == _CRITICAL and self._past(value, self._exit[_WARNING])
                return self._change(_WARNING if still_warning else _NONE, back, ts, value, site_id, why=None)
        return []

    def _change(
        self,
        level: int,
        at: tuple[float, datetime],
        ts: datetime,
        value: float,
        site_id: str,
        *,
        why: str | None,
    ) -> list[AnomalyV1]:
        records: list[AnomalyV1] = []
        if self.level > _NONE:
            records.append(self._end_record(ts, at[1], value, site_id, why))
        self.level = level
        self.episode_start = at if level > _NONE else None
        if level > _NONE:
            records.append(self._start_record(ts, at, value, site_id))
        return records

    def _not_judged(self, ts: datetime, site_id: str) -> list[AnomalyV1]:
        self.past_since = [None, None, None]
        self.inside_since = [None, None, None]
        if self.level == _NONE:
            return []
        record = self._end_record(ts, ts, self.last_value, site_id, "its sensor is no longer trusted")
        self.level = _NONE
        self.episode_start = None
        return [record]

    def close(self, ts: datetime, site_id: str, why: str) -> list[AnomalyV1]:
        """End any open episode at ``ts`` (a wall-clock step back) and forget pending timers."""
        self.past_since = [None, None, None]
        self.inside_since = [None, None, None]
        self.idle = True
        if self.level == _NONE:
            return []
        record = self._end_record(ts, ts, self.last_value, site_id, why)
        self.level = _NONE
        self.episode_start = None
        return [record]

    def _start_record(
        self, ts: datetime, at: tuple[float, datetime], value: float, site_id: str
    ) -> AnomalyV1:
        name, unit = _UNITS[self.rule.metric]
        threshold = self._enter[self.level]
        side = "above" if self.above else "below"
        held = (ts - at[1]).total_seconds()
        message = (
            f"{name} {value:.2f} {unit} {side} {threshold:g} {unit} for {_duration(held)}: {_WHY[self.kind]}."
        )
        return AnomalyV1(
            schema_version="1.0",
            timestamp=ts,
            site_id=site_id,
            severity=_SEVERITY[self.level],
            kind=self.kind,
            metric=self.rule.metric,
            observed_value=value,
            threshold=threshold,
            started_at=at[1],
            ended_at=None,
            message=message,
        )

    def _end_record(
        self, ts: datetime, ended_at: datetime, value: float, site_id: str, why: str | None
    ) -> AnomalyV1:
        assert self.episode_start is not None
        name, unit = _UNITS[self.rule.metric]
        threshold = self._exit[self.level]
        severity = _SEVERITY[self.level]
        lasted = _duration((ended_at - self.episode_start[1]).total_seconds())
        if why is None:
            side = "below" if self.above else "above"
            message = (
                f"{severity.value.capitalize()} over after {lasted}: {name} {value:.2f} {unit} back {side} "
            )
            message += f"{threshold:g} {unit}."
        else:
            message = f"{severity.value.capitalize()} ended after {lasted} because {why}; "
            message += f"last {name} {value:.2f} {unit}."
        return AnomalyV1(
            schema_version="1.0",
            timestamp=ts,
            site_id=site_id,
            severity=severity,
            kind=self.kind,
            metric=self.rule.metric,
            observed_value=value,
            threshold=threshold,
            started_at=self.episode_start[1],
            ended_at=max(ended_at, self.episode_start[1]),
            message=message,
        )


class AnomalyDetector:
    """All anomaly kinds; :meth:`step` returns the episode starts and ends one observation reveals."""

    def __init__(self, rules: Mapping[AnomalyKind, AnomalyRule]) -> None:
        self._trackers = [_KindTracker(kind, rules[kind]) for kind in AnomalyKind]
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
        self._all_idle = True
        """No kind has an episode open or a threshold crossed."""

    def step(
        self,
        t: float,
        ts: datetime,
        metrics: Sequence[float | None],
        site_id: str,
        daylight: bool | None,
    ) -> list[AnomalyV1]:
        """Judge one observation's metrics (in ``METRICS`` order, ``None`` where not trusted).

        ``daylight`` ``None`` means unknown (no trusted PAR). Why the fast paths:
        nine kinds are judged at every poll and almost always nothing happens.
        While every kind is idle and every metric is calm for all its rules, the
        step is over after one comparison per metric; otherwise an idle kind with
        a calm value, no value, or a rule that does not apply now is skipped with
        two comparisons.
        """
        if self._all_idle:
            for index, low, high in self._calm:
                value = metrics[index]
                if value is not None and not low <= value <= high:
                    break
            else:
                return []
        records: list[AnomalyV1] = []
        all_idle = True
        for tracker in self._trackers:
            value = metrics[tracker.metric_index]
            applicable = not (tracker.daylight_only and daylight is False)
            if tracker.idle and (
                value is None or not applicable or (value if tracker.above else -value) <= tracker.quiet_below
            ):
                continue
            found = tracker.step(t, ts, value, site_id, applicable)
            if found:
                records.extend(found)
            if all_idle and not tracker.idle:
                all_idle = False
        self._all_idle = all_idle
        return records

    def close_all(self, ts: datetime, site_id: str, why: str) -> list[AnomalyV1]:
        """End every open episode at ``ts`` (used when the wall clock stepped back)."""
        records: list[AnomalyV1] = []
        for tracker in self._trackers:
            records.extend(tracker.close(ts, site_id, why))
        self._all_idle = True  # closing forgets every episode and every timer
        return records
