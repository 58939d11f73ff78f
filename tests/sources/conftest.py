"""Fixtures for the source tests: seeded synthetic days, run once per session and shared."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from brain.contracts import DeviceStatusV1, ObservationV1
from brain.sources.synthetic.greenhouse_model import saturation_vapour_pressure_kpa
from brain.sources.synthetic.scenarios import parse_scenario
from brain.sources.synthetic.source import SyntheticSource

SIM_START = datetime(2026, 6, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SimulatedRun:
    """Observations and relay states of one synthetic run, with a few convenience views."""

    observations: list[ObservationV1]
    statuses: list[DeviceStatusV1]

    def series(self, key: str) -> list[float | None]:
        return [getattr(o.sensors, key) for o in self.observations]

    def values(self, key: str) -> list[float]:
        return [v for v in self.series(key) if v is not None]

    def hours(self) -> list[float]:
        return [(o.timestamp - SIM_START).total_seconds() / 3600.0 for o in self.observations]

    def relay(self, name: str) -> list[bool]:
        return [s.devices[name] == "on" for s in self.statuses]

    def vpd_kpa(self) -> list[float]:
        out = []
        for o in self.observations:
            t, rh = o.sensors.air_temperature_c, o.sensors.relative_humidity_pct
            if t is not None and rh is not None:
                out.append(saturation_vapour_pressure_kpa(t) * (1.0 - rh / 100.0))
        return out

    def window(self, key: str, start_h: float, end_h: float) -> list[float]:
        """Readings of ``key`` with ``start_h <= hour < end_h`` (hours since the start)."""
        return [
            v
            for h, v in zip(self.hours(), self.series(key), strict=True)
            if start_h <= h < end_h and v is not None
        ]


def simulate(
    *,
    seed: int = 7,
    scenarios: Sequence[str] = (),
    hours: float = 24.0,
    poll_interval_s: float = 60.0,
    start: datetime = SIM_START,
) -> SimulatedRun:
    """Run a synthetic source to its end and keep everything it produced."""
    source = SyntheticSource(
        seed=seed,
        start=start,
        poll_interval_s=poll_interval_s,
        duration_s=hours * 3600.0,
        site_id="greenhouse-test",
        scenarios=[parse_scenario(text) for text in scenarios],
    )
    observations, statuses = [], []
    while (observation := source.next_observation()) is not None:
        observations.append(observation)
        statuses.append(source.device_status())
    return SimulatedRun(observations, statuses)


@pytest.fixture(scope="session")
def synthetic_run() -> Callable[..., SimulatedRun]:
    """``synthetic_run(seed=..., scenarios=[...])``: memoised, so a day is simulated once per session."""
    cache: dict[tuple[object, ...], SimulatedRun] = {}

    def run(**kwargs: object) -> SimulatedRun:
        key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items()))
        if key not in cache:
            cache[key] = simulate(**kwargs)  # type: ignore[arg-type]
        return cache[key]

    return run


@pytest.fixture(scope="session")
def synthetic_normal_day(synthetic_run: Callable[..., SimulatedRun]) -> SimulatedRun:
    """One seeded, scenario-free day at 60 s polls (1,440 observations)."""
    return synthetic_run(seed=7)
