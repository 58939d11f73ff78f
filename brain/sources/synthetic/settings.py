"""The ``[simulation]`` settings: the synthetic greenhouse that ``--simulate`` polls.

Why a fixed default start: the same seed must give the same bytes on any day the
run is made, so nothing here depends on the wall clock. Why local midnight when the
site has a zone (:func:`default_start`): the synthetic greenhouse keeps the start's
clock, so a UTC midnight in Amsterdam would spread one simulated day over two local
days (two ``run_`` folders) and put the sun's peak at 14:00 local.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from brain.contracts import SCHEDULABLE

DEFAULT_SIMULATION_START = datetime.fromisoformat("2026-06-01T00:00:00+00:00")
"""Fixed default start of a simulation, so the same seed gives the same bytes on any day."""


def default_start(zone: str) -> datetime:
    """The default start for a site in ``zone``: local midnight of the default day, at that zone's offset.

    UTC keeps :data:`DEFAULT_SIMULATION_START` itself (the same bytes as ever). The offset is
    fixed (``+02:00`` for Amsterdam in June), as a written ``--start`` would be, so the clock's
    arithmetic never meets a DST change.
    """
    local = DEFAULT_SIMULATION_START.replace(tzinfo=ZoneInfo(zone))
    offset = local.utcoffset()
    if not offset:
        return DEFAULT_SIMULATION_START
    return local.replace(tzinfo=timezone(offset))


def _schedulable(start: datetime) -> datetime:
    if start not in SCHEDULABLE:
        raise ValueError(f"must be inside brain's schedulable range, {SCHEDULABLE}")
    return start


class SimulationSettings(BaseModel):
    """The synthetic source (``--simulate``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: Annotated[int, Field(strict=True)] = 42
    """Seed of the synthetic greenhouse: the same seed gives the same bytes."""
    start: Annotated[AwareDatetime, AfterValidator(_schedulable)] = DEFAULT_SIMULATION_START
    """First simulated instant (ISO 8601 with offset), from 2000 up to 2100 (``SCHEDULABLE``); unset, the
    default day's local midnight in the site's ``timezone`` (:func:`default_start`)."""
    duration_hours: Annotated[float, Field(strict=True, gt=0, le=24 * 366 * 5, allow_inf_nan=False)] = 24.0
    """How much logical time to simulate."""
    scenarios: list[str] = Field(default_factory=list)
    """Scenario specs (``brain-daemon --scenario help`` lists them)."""
    control: Literal["builtin", "advice", "none"] = "builtin"
    """Who runs the modelled devices: the model's climate computer, brain's advice (the closed loop,
    docs/advisor.md), or nothing."""

    @field_validator("duration_hours")
    @classmethod
    def _ends_by_2100(cls, hours: float, info: ValidationInfo) -> float:
        """The whole simulation stays schedulable: its clock and folders never leave 2000-2100."""
        start = info.data.get("start")  # absent when the start itself was refused
        if start is not None and start + timedelta(hours=hours) > SCHEDULABLE.end:
            end = SCHEDULABLE.end.isoformat()
            raise ValueError(f"the simulation would run past {end}, the end of brain's schedulable range")
        return hours
