"""The ``[simulation]`` settings: the synthetic greenhouse that ``--simulate`` polls.

Why a fixed default start: the same seed must give the same bytes on any day the
run is made, so nothing here depends on the wall clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

DEFAULT_SIMULATION_START = datetime.fromisoformat("2026-06-01T00:00:00+00:00")
"""Fixed default start of a simulation, so the same seed gives the same bytes on any day."""


class SimulationSettings(BaseModel):
    """The synthetic source (``--simulate``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    seed: Annotated[int, Field(strict=True)] = 42
    """Seed of the synthetic greenhouse: the same seed gives the same bytes."""
    start: AwareDatetime = DEFAULT_SIMULATION_START
    """First simulated instant (ISO 8601 with offset)."""
    duration_hours: Annotated[float, Field(strict=True, gt=0, le=24 * 366 * 5, allow_inf_nan=False)] = 24.0
    """How much logical time to simulate."""
    scenarios: list[str] = Field(default_factory=list)
    """Scenario specs (``brain-daemon --scenario help`` lists them)."""
