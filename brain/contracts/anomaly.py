"""AnomalyV1: a climate episode a grower should know about.

``(kind, started_at)`` identifies the episode; its records, in order:

- one **start** (``ended_at`` null): the first record of that ``(kind, started_at)``;
- since schema ``1.1``, zero or more **severity changes** (``ended_at`` null, a later
  record of the same ``(kind, started_at)``, the new ``severity``; the message says
  "Escalated to ..." or "Eased to ..."). Schema ``1.0`` logs told an escalation as
  the end of one episode and the start of another at the same instant;
- one **end** (``ended_at`` set; since ``1.1`` its severity is the worst the
  episode reached).

Readers pair records by ``(kind, started_at)``; the rule above reads 1.0 and 1.1
logs alike. Schema ``1.1`` also adds kinds and metrics (docs/anomaly_thresholds.md),
which a 1.0 reader would refuse: the version tells it why.

Schema ``1.2`` (issue 28) tells one episode per *condition family*: related rules
(heat with dry air, humid air, CO2) share one episode whose ``kind`` is the rule that
opened it; three optional fields say more, and a 1.0 or 1.1 line (without them) reads
unchanged, as ``None``:

- ``rules``: every rule the episode involved so far (the opening one first);
- ``trigger_threshold``: the threshold that made the record's severity (an end record's
  ``threshold`` is the release threshold it came back past; tables show this one);
- ``worst_value``: the most extreme value of ``kind``'s metric over the whole episode,
  the time before its start that qualified it included;
- ``standing``: the condition came back day after day, and the episode is one standing
  notice that ends only after a whole day without it.

Example payload::

    {"schema_version": "1.0", "timestamp": "2026-07-14T13:20:00+00:00",
     "site_id": "greenhouse-1", "severity": "warning",
     "kind": "temperature_high", "metric": "air_temperature_c",
     "observed_value": 31.2, "threshold": 30.0,
     "started_at": "2026-07-14T13:20:00+00:00", "ended_at": null,
     "message": "Air temperature 31.2 C above 30.0 C for 20 min: pollen viability falls."}
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from brain.contracts._base import Contract
from brain.contracts.types import LAX_ENUM, Timestamp
from brain.names import AnomalyKind, Metric, Severity
from brain.settings_types import Identifier

ANOMALY_SCHEMA_VERSION: Literal["1.2"] = "1.2"
"""The version brain writes anomaly records in (it reads 1.0 and 1.1 too; module docstring)."""


class AnomalyV1(Contract):
    """A start, severity change or end of an anomaly episode (example in the module docstring)."""

    schema_version: Literal["1.0", "1.1", "1.2"]  # type: ignore[assignment]  # a wider set than Contract's
    """1.0: an escalation is an end and a new start; 1.1: a record of its own, and new kinds;
    1.2: one episode per condition family, with the optional fields below."""
    timestamp: Timestamp
    """Time of the observation that revealed the start or the end."""
    site_id: Identifier
    """Which greenhouse."""
    severity: Annotated[Severity, LAX_ENUM]
    """How urgent."""
    kind: Annotated[AnomalyKind, LAX_ENUM]
    """What kind of anomaly."""
    metric: Annotated[Metric, LAX_ENUM]
    """Which quantity crossed its threshold."""
    observed_value: float
    """The metric's value at ``timestamp``."""
    threshold: float
    """The threshold it was compared with, in the metric's unit."""
    started_at: Timestamp
    """When the episode began (the first observation past the threshold)."""
    ended_at: Timestamp | None
    """When it ended; ``None`` while it lasts."""
    message: Annotated[str, Field(min_length=1, max_length=500)]
    """One sentence for the grower: what, how much, why it matters."""
    rules: list[Annotated[AnomalyKind, LAX_ENUM]] | None = None
    """Since 1.2: every rule the episode involved so far, the opening one (``kind``) first."""
    trigger_threshold: float | None = None
    """Since 1.2: the threshold that made this record's severity (not the release one)."""
    worst_value: float | None = None
    """Since 1.2: the most extreme value of the metric over the episode so far."""
    standing: bool | None = None
    """Since 1.2: a condition that came back day after day, told as one standing notice."""

    @model_validator(mode="after")
    def _episode_times_are_ordered(self) -> AnomalyV1:
        """Why: an end before its start is a bug upstream, never a real episode."""
        if self.started_at > self.timestamp:
            raise ValueError("started_at must not be after timestamp")
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise ValueError("ended_at must not be before started_at")
        return self
