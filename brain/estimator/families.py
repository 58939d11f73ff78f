"""One episode per condition, not per rule: related rules share an episode (issue 28).

Why: a hot afternoon trips ``temperature_high`` and ``vpd_high`` together (31 of 36 times
in the OSU season), humid air trips ``humidity_high`` and ``vpd_low`` (13 of 14), and
every record is a message on the grower's phone. The rules of one *family*
(``thresholds.toml``, ``[families.*]``) open one episode: its ``kind`` is the rule that
opened it, its records name every rule involved (``rules``, AnomalyV1 1.2), and it
escalates as one. It sends:

- one **start**, when the first of its rules starts an episode;
- an **escalation** only when the family reaches ``critical`` (a critical condition is
  always told at once, whichever rule reached it); a second rule joining at the same
  level, or a rule easing, is recorded in the end message, not pushed;
- one **end**, when the last of its rules is over, naming each rule's worst value.

A chronic condition (it came back within ``standing_gap_s`` of an episode that lasted
``standing_after_s`` or more: the same condition day after day) opens a **standing**
episode (``standing`` true): it stays open while the rules come and go and ends only
after ``standing_gap_s`` without any of them, so a dry winter's daily ``vpd_high`` is one
notice, not a start and an end each day. A critical reached inside it is still pushed.

The per-rule state machines (:mod:`brain.estimator.anomalies`) are unchanged below this
layer: thresholds, hysteresis, start and end times are each rule's own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from brain.contracts import AnomalyKind, AnomalyV1, Metric, Severity
from brain.episodes import LOW_KINDS
from brain.names import SEVERITY_RANK

_CRITICAL_RANK = SEVERITY_RANK[Severity.CRITICAL]
ENDED_BECAUSE = "Ended after"
"""How a rule's end record begins when it ended for a reason other than the value coming back."""
UNTRUSTED = "its sensor is no longer trusted"
"""Why a rule's episode ended at once: the family then ends at once too, saying why (brain never
claims an ongoing condition on data it does not trust)."""

_UNITS = {
    "air_temperature_c": "C",
    "relative_humidity_pct": "%",
    "co2_ppm": "ppm",
    "vpd_kpa": "kPa",
    "dew_point_margin_c": "C dew-point margin",
    "substrate_moisture_pct": "%",
    "night_mean_air_temperature_c": "C",
    "mean_24h_air_temperature_c": "C",
    "daily_light_integral_mol_m2_d": "mol/m2/d",
}


def _hours(seconds: float) -> str:
    minutes = round(seconds / 60.0)
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60.0:.1f} h"


@dataclass(frozen=True)
class FamilyRule:
    """A family's rules and its standing-notice times (``thresholds.toml``, ``[families.*]``)."""

    name: str
    kinds: tuple[AnomalyKind, ...]
    standing_after_s: float
    standing_gap_s: float
    merge_gap_s: float = 0.0
    """After its last rule ended, the episode waits this long: a rule starting again within it
    continues the same episode (an afternoon's heat that dips for half an hour is one episode)."""

    def gap_s(self, standing: bool) -> float:
        """How long the episode waits, all its rules over, before it is told over."""
        return self.standing_gap_s if standing else self.merge_gap_s


@dataclass
class _Open:
    """A family episode: what opened it, which rules are in it, how bad it got."""

    lead: AnomalyKind
    start: datetime
    rules: list[AnomalyKind]
    standing: bool
    levels: dict[AnomalyKind, int] = field(default_factory=dict)
    """The open rules' severity ranks."""
    told_critical: bool = False
    """A critical record was pushed since the family was last below critical."""
    worst_rank: int = 0
    worst: dict[AnomalyKind, AnomalyV1] = field(default_factory=dict)
    """Per rule, its last record."""
    extreme: dict[AnomalyKind, float] = field(default_factory=dict)
    """Per rule, its most extreme value over the whole family episode (each of its episodes)."""

    def note(self, record: AnomalyV1) -> None:
        """Keep ``record`` as its rule's last, and its worst value if it is the most extreme yet."""
        self.worst[record.kind] = record
        value = record.worst_value if record.worst_value is not None else record.observed_value
        known = self.extreme.get(record.kind)
        low = record.kind in LOW_KINDS
        if known is None or (value < known if low else value > known):
            self.extreme[record.kind] = value

    last_end: datetime | None = None
    last_kind: AnomalyKind | None = None
    """The rule whose record came last: its end tells why the episode ended, when it ends at once."""
    quiet_since_t: float | None = None
    """Estimator time since when no rule is open (a standing episode waits ``standing_gap_s``)."""


@dataclass
class _Recent:
    """The family's last ended episode: when it ended and how long it lasted."""

    ended_t: float
    lasted_s: float
    started_at: datetime


class Families:
    """Turns per-rule records into per-family records; :meth:`take` at every step with records."""

    def __init__(self, families: Sequence[FamilyRule], kinds: Sequence[AnomalyKind]) -> None:
        by_kind = {kind: family for family in families for kind in family.kinds}
        self._family = {
            kind: by_kind.get(kind, FamilyRule(kind.value, (kind,), float("inf"), 0.0)) for kind in kinds
        }
        self._open: dict[str, _Open] = {}
        self._recent: dict[str, _Recent] = {}
        self.waiting: set[str] = set()
        """Standing families with no rule open: they end once ``standing_gap_s`` has passed (see
        :meth:`tick`). A plain set, read at every step: empty, there is nothing to tick."""
        self.started = 0
        """Family episodes started by the last :meth:`take`."""

    def take(self, t: float, records: Sequence[AnomalyV1]) -> list[AnomalyV1]:
        """The family records for this step's rule records (in order)."""
        out: list[AnomalyV1] = []
        self.started = 0
        for record in records:
            family = self._family[record.kind]
            episode = self._open.get(family.name)
            if record.ended_at is None and (episode is None or record.kind not in episode.levels):
                out.extend(self._rule_starts(t, family, episode, record))
            elif record.ended_at is None:
                out.extend(self._rule_changes(episode, record))
            elif episode is not None and record.kind in episode.levels:
                out.extend(self._rule_ends(t, family, episode, record))
        return out

    def tick(self, t: float, ts: datetime, now: Callable[[Metric], float | None]) -> list[AnomalyV1]:
        """End the episodes whose rules have all been quiet for their gap.

        ``ts``: this step's time; ``now``: a metric's value at this step (an end told after the gap
        carries the value at its own time).
        """
        out: list[AnomalyV1] = []
        for name in sorted(self.waiting):
            episode = self._open[name]
            family = self._family[episode.lead]
            quiet = episode.quiet_since_t
            if quiet is not None and t - quiet >= family.gap_s(episode.standing):
                value = now(episode.worst[episode.lead].metric)
                out.append(self._end(t, family, episode, quiet_s=t - quiet, ts=ts, value=value))
        return out

    def close_all(self, t: float, records: Sequence[AnomalyV1]) -> list[AnomalyV1]:
        """The wall clock stepped back: the rules' end ``records``, then every family ended at once."""
        out = self.take(t, records)
        for name in sorted(self._open):
            episode = self._open[name]
            out.append(self._end(t, self._family[episode.lead], episode))
        return out

    def _rule_starts(
        self, t: float, family: FamilyRule, episode: _Open | None, record: AnomalyV1
    ) -> list[AnomalyV1]:
        rank = SEVERITY_RANK[record.severity]
        if episode is None:
            recent = self._recent.get(family.name)
            standing = (
                recent is not None
                and t - recent.ended_t <= family.standing_gap_s
                and recent.lasted_s >= family.standing_after_s
            )
            episode = _Open(record.kind, record.started_at, [record.kind], standing)
            self._open[family.name] = episode
            episode.levels[record.kind] = rank
            episode.note(record)
            episode.worst_rank = rank
            episode.told_critical = rank >= _CRITICAL_RANK
            self.started += 1
            message = record.message
            if standing:
                message = f"Back again (one standing notice until a day without it): {message}"
            return [self._as_family(episode, record, message=message[:500])]
        self.waiting.discard(family.name)
        episode.quiet_since_t = None
        if record.kind not in episode.rules:
            episode.rules.append(record.kind)
        episode.levels[record.kind] = rank
        episode.note(record)
        return self._maybe_escalate(episode, record, f"Escalated to critical: {record.message}")

    def _rule_changes(self, episode: _Open | None, record: AnomalyV1) -> list[AnomalyV1]:
        if episode is None:
            return []
        episode.levels[record.kind] = SEVERITY_RANK[record.severity]
        episode.note(record)
        return self._maybe_escalate(episode, record, record.message)

    def _maybe_escalate(self, episode: _Open, record: AnomalyV1, message: str) -> list[AnomalyV1]:
        """A critical is told once each time the family reaches it; anything else is recorded only."""
        level = max(episode.levels.values(), default=0)
        episode.worst_rank = max(episode.worst_rank, level)
        if level < _CRITICAL_RANK:
            episode.told_critical = False
            return []
        if episode.told_critical:
            return []
        episode.told_critical = True
        return [self._as_family(episode, record, message=message[:500])]

    def _rule_ends(self, t: float, family: FamilyRule, episode: _Open, record: AnomalyV1) -> list[AnomalyV1]:
        del episode.levels[record.kind]
        episode.last_kind = record.kind
        episode.note(record)
        episode.worst_rank = max(episode.worst_rank, SEVERITY_RANK[record.severity])
        assert record.ended_at is not None
        if episode.last_end is None or record.ended_at > episode.last_end:
            episode.last_end = record.ended_at
        if episode.levels:
            if max(episode.levels.values()) < _CRITICAL_RANK:
                episode.told_critical = False
            return []
        episode.told_critical = False
        if family.gap_s(episode.standing) > 0.0 and (episode.standing or UNTRUSTED not in record.message):
            episode.quiet_since_t = t
            self.waiting.add(family.name)
            return []
        return [self._end(t, family, episode)]

    def _end(
        self,
        t: float,
        family: FamilyRule,
        episode: _Open,
        *,
        quiet_s: float = 0.0,
        ts: datetime | None = None,
        value: float | None = None,
    ) -> AnomalyV1:
        """The family's end record.

        ``quiet_s``: how long every rule has been over, when it is told after a gap (at ``ts``);
        without a gap it ends at once, with its last rule's end record.
        """
        self.waiting.discard(family.name)
        del self._open[family.name]
        lead = episode.worst[episode.lead]
        ended_at = episode.last_end or lead.timestamp
        lasted_s = (ended_at - episode.start).total_seconds()
        self._recent[family.name] = _Recent(t, lasted_s, episode.start)
        severity = next(s for s, rank in SEVERITY_RANK.items() if rank == episode.worst_rank)
        worst = ", ".join(
            f"{kind.value} {episode.extreme[kind]:.2f} "
            f"{_UNITS.get(episode.worst[kind].metric.value, '')}".rstrip()
            for kind in episode.rules
        )
        over = "Standing notice over" if episode.standing else "Over"
        if quiet_s > 0.0:  # told after the gap: the rule's own end wording ("now ...") is old
            message = (
                f"{over} after {_hours(lasted_s)} (worst: {severity.value}; worst values: {worst}); "
                f"not back for {_hours(quiet_s)}."
            )
        elif len(episode.rules) == 1:
            message = lead.message
        else:
            last = episode.worst[episode.last_kind or episode.lead]
            message = f"{last.message} Worst values of every rule involved: {worst}."
        record = self._as_family(episode, lead, message=message[:500])
        update = {"severity": severity, "ended_at": max(ended_at, episode.start)}
        if ts is not None:
            update["timestamp"] = ts
        if value is not None:
            update["observed_value"] = value
        return record.model_copy(update={**update, "worst_value": episode.extreme[episode.lead]})

    def _as_family(self, episode: _Open, record: AnomalyV1, *, message: str) -> AnomalyV1:
        """``record`` told as the family episode's: its kind, start, rules and standing."""
        return record.model_copy(
            update={
                "kind": episode.lead,
                "started_at": episode.start,
                "message": message,
                "rules": list(episode.rules),
                "standing": episode.standing or None,
            }
        )
