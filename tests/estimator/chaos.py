"""A seeded stream that visits every rare path of the estimator, many times.

Nulls, out-of-range values, one-sample spikes and jumps, stuck sensors, real steps of
the air, gaps, clock steps back, duplicates and disorder, on a plain diurnal greenhouse.
Moved here from the manual golden benchmark: it is an expected-output case now.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from brain.contracts import DeviceStatusV1, ObservationV1
from tests.estimator.field_logs import relays_unknown

_CHAOS_NOISE = {
    "air_temperature_c": 0.08,
    "relative_humidity_pct": 0.3,
    "co2_ppm": 5.0,
    "par_umol_m2_s": 0.0,
    "substrate_moisture_pct": 0.05,
}


def _chaos_target(key: str, sun: float) -> float:
    """Where each quantity relaxes to at this much sun (0 to 1): a plain diurnal greenhouse."""
    return {
        "air_temperature_c": 22.0 + 8.0 * sun,
        "relative_humidity_pct": 75.0 - 15.0 * sun,
        "co2_ppm": 700.0 - 400.0 * sun,
        "par_umol_m2_s": 1400.0 * sun,
        "substrate_moisture_pct": 55.0 - 5.0 * sun,
    }[key]


def chaos(seed: int, days: float = 1.0) -> Iterator[tuple[ObservationV1, DeviceStatusV1]]:
    """A seeded stream that visits every rare path of the estimator, many times."""
    rng = random.Random(seed)
    ts = datetime.fromisoformat("2026-03-01T00:00:00+00:00")
    level = {key: _chaos_target(key, 0.0) for key in _CHAOS_NOISE}
    frozen: dict[str, tuple[float, int]] = {}
    dead: dict[str, int] = {}
    for _ in range(int(days * 1440)):
        roll = rng.random()
        if roll < 0.002:
            ts += timedelta(seconds=rng.choice([1200, 3600, 7200]))  # a gap
        elif roll < 0.003:
            ts -= timedelta(seconds=rng.choice([30, 1800, 7200]))  # disorder, or a clock step back
        elif roll < 0.004:
            pass  # a duplicate timestamp
        else:
            ts += timedelta(seconds=rng.choice([60, 60, 60, 30, 90]))
        hour = ts.hour + ts.minute / 60.0
        sun = math.sin(math.pi * (hour - 6.0) / 14.0) if 6.0 < hour < 20.0 else 0.0
        sensors: dict[str, float | None] = {}
        for key, noise in _CHAOS_NOISE.items():
            level[key] += rng.gauss(0.0, noise) + 0.02 * (_chaos_target(key, sun) - level[key])
            value: float | None = round(level[key], 2)
            event = rng.random()
            if key in dead:
                dead[key] -= 1
                value = None
                if not dead[key]:
                    del dead[key]
            elif key in frozen:
                value, left = frozen[key]
                if left > 1:
                    frozen[key] = (value, left - 1)
                else:
                    del frozen[key]
            elif event < 0.004:
                value = None  # one failed read
            elif event < 0.0045:
                dead[key] = rng.choice([2, 5, 30])  # a disconnect
            elif event < 0.005:
                value = rng.choice([-1000.0, 1e6])  # out of range
            elif event < 0.006:
                value = round(level[key] * rng.choice([1.5, 0.5, 3.0]), 2)  # a one-sample spike or jump
            elif event < 0.0063:
                frozen[key] = (round(level[key], 2), rng.choice([60, 300, 900]))  # stuck for a while
            elif event < 0.0065:
                level[key] += rng.choice([-8.0, 8.0, -25.0, 25.0])  # a real step of the air
            sensors[key] = value
        errors = {key: "read failed" for key, value in sensors.items() if value is None}
        observation = ObservationV1(
            schema_version="1.0",
            timestamp=ts,
            site_id="chaos",
            source="synthetic",
            sensors=sensors,
            errors=errors,
        )
        yield observation, relays_unknown(ts, "chaos")
