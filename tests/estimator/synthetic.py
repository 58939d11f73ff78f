"""A small, seeded tomato-greenhouse day for the estimator tests.

Why our own: the tests must know exactly what is clean and what is injected.
The shape follows a summer greenhouse (temperature 18-27 degC, RH falling as
the air warms at a slowly varying vapour pressure, daytime PAR under passing
clouds, CO2 drawn down in daylight, substrate drying and irrigated), with the
resolution and noise of the sensors brain reads (SHT31, SCD41, a PAR sensor,
a capacitive slab probe). Same seed, same numbers.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from brain.contracts import DeviceStatusV1, ObservationV1
from brain.estimator import Estimate, Estimator
from brain.estimator.vpd import saturation_vapour_pressure_kpa
from tests import factories

START = datetime.fromisoformat("2026-06-01T00:00:00+00:00")
SITE = "gh-test"
Readings = dict[str, float | None]


@dataclass(frozen=True)
class Row:
    """One poll: when, and what each sensor said."""

    timestamp: datetime
    readings: Readings
    errors: dict[str, str] = field(default_factory=dict)
    devices: dict[str, str] | None = None
    """The relay states; ``None``: the factories' greenhouse (heater off, vent fan on)."""

    def with_reading(self, sensor: str, value: float | None, error: str | None = None) -> Row:
        readings = dict(self.readings)
        readings[sensor] = value
        errors = dict(self.errors)
        if error is not None:
            errors[sensor] = error
        return replace(self, readings=readings, errors=errors)

    def observation(self) -> ObservationV1:
        """This poll as the observation a synthetic source gives of it."""
        return factories.observation(self.timestamp, site_id=SITE, errors=self.errors, **self.readings)

    def device_status(self) -> DeviceStatusV1:
        """The relay states that go with this poll (the factories' greenhouse)."""
        return factories.device_status(self.timestamp, site_id=SITE, devices=self.devices)


def greenhouse(
    *, days: float = 1.0, step_s: float = 60.0, seed: int = 1, start: datetime = START
) -> list[Row]:
    """Clean readings every ``step_s`` seconds for ``days`` days."""
    rng = random.Random(seed)
    rows: list[Row] = []
    cloud = 1.0
    day_offset = 0.0
    vapour_walk = 0.0
    substrate = 65.0
    last_day = -1
    n = int(days * 86400 / step_s)
    for i in range(n):
        ts = start + timedelta(seconds=i * step_s)
        hours = (ts - start).total_seconds() / 3600.0
        hour = hours % 24.0
        day = int(hours // 24)
        if day != last_day:
            day_offset = rng.uniform(-0.8, 0.8)
            last_day = day
        cloud = min(1.0, max(0.55, cloud + rng.gauss(0.0, 0.02 * math.sqrt(step_s / 60.0))))
        sun = math.sin(math.pi * (hour - 6.0) / 14.0) if 6.0 < hour < 20.0 else 0.0
        par = 1300.0 * sun * cloud
        temp = 22.0 + day_offset + 3.5 * math.sin(2 * math.pi * (hour - 9.0) / 24.0) + 1.0 * sun * cloud
        temp += rng.gauss(0.0, 0.04)
        vapour_walk = 0.995 * vapour_walk + rng.gauss(0.0, 0.004)
        vapour = 1.65 + 0.25 * sun + vapour_walk
        rh = min(97.0, 100.0 * vapour / saturation_vapour_pressure_kpa(temp)) + rng.gauss(0.0, 0.15)
        co2 = 430.0 + 160.0 * (1.0 - sun) - 60.0 * sun * cloud + rng.gauss(0.0, 4.0)
        if sun > 0:
            substrate -= 1.2 * sun * step_s / 3600.0
            if substrate < 58.0:
                substrate += 6.0
        else:
            substrate -= 0.1 * step_s / 3600.0
        rows.append(
            Row(
                ts,
                {
                    "air_temperature_c": round(temp, 2),
                    "relative_humidity_pct": round(rh, 2),
                    "co2_ppm": float(round(co2)),
                    "par_umol_m2_s": round(max(0.0, par + (rng.gauss(0.0, 3.0) if sun > 0 else 0.0)), 1),
                    "substrate_moisture_pct": round(substrate + rng.gauss(0.0, 0.05), 1),
                },
            )
        )
    return rows


def constant(
    *, minutes: float, step_s: float = 60.0, start: datetime = START, **readings: float | None
) -> list[Row]:
    """Rows holding the given readings (missing sensors at calm defaults), for threshold tests."""
    base: Readings = {
        "air_temperature_c": 22.0,
        "relative_humidity_pct": 70.0,
        "co2_ppm": 450.0,
        "par_umol_m2_s": 400.0,
        "substrate_moisture_pct": 60.0,
    }
    base.update(readings)
    n = int(minutes * 60 / step_s)
    return [Row(start + timedelta(seconds=i * step_s), dict(base)) for i in range(n)]


def wobble(rows: list[Row], seed: int = 7) -> list[Row]:
    """Add sensor noise to every reading so that constant rows do not look stuck."""
    rng = random.Random(seed)
    noise = {
        "air_temperature_c": 0.05,
        "relative_humidity_pct": 0.2,
        "co2_ppm": 3.0,
        "par_umol_m2_s": 3.0,
        "substrate_moisture_pct": 0.2,
    }
    out = []
    for row in rows:
        readings = {
            key: None if value is None else round(value + rng.gauss(0.0, noise[key]), 3)
            for key, value in row.readings.items()
        }
        out.append(replace(row, readings=readings))
    return out


def modify(
    rows: list[Row], sensor: str, change: Callable[[int, Row], float | None], since: int = 0
) -> list[Row]:
    """Return rows with ``sensor`` replaced from index ``since`` on by ``change(index, row)``."""
    out = list(rows)
    for i in range(since, len(rows)):
        out[i] = rows[i].with_reading(sensor, change(i, rows[i]))
    return out


def run(rows: Iterable[Row], estimator: Estimator | None = None) -> Iterator[tuple[Row, Estimate]]:
    """Feed ``rows`` to ``estimator`` (a fresh one by default) and yield each row with its estimate."""
    est = estimator if estimator is not None else Estimator()
    for row in rows:
        yield row, est.step(row.observation(), row.device_status())


def health_of(estimate: Estimate, sensor: str) -> tuple[str, str]:
    """(status, fault) of ``sensor`` in ``estimate``."""
    for record in estimate.sensor_health:
        if record.sensor.value == sensor:
            return record.status.value, record.fault.value
    raise KeyError(sensor)


def fault_episodes(estimates: Iterable[Estimate]) -> dict[str, list[tuple[datetime, str]]]:
    """Per sensor: (time, fault) whenever it got a fault from none (faulty, or suspect of drift)."""
    faulty: dict[str, bool] = {}
    episodes: dict[str, list[tuple[datetime, str]]] = {}
    for estimate in estimates:
        for record in estimate.sensor_health:
            key = record.sensor.value
            is_faulty = record.fault.value != "none"
            if is_faulty and not faulty.get(key, False):
                episodes.setdefault(key, []).append((record.timestamp, record.fault.value))
            faulty[key] = is_faulty
    return episodes
