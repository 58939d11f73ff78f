"""Mean cost of one ``Estimator.step`` over a simulated month of 60-second polls.

Run: ``python bench/estimator.py [--days 30] [--seed 1]``. It prints figures;
nothing is asserted (the goal, 10 us per step on the development machine, is
in docs/estimator.md with the last measured figure).

Why its own generator: the month of observations must not depend on another
part of brain; a small seeded diurnal greenhouse is enough, with a spike, a
few read errors and a frozen sensor so that the slow paths run too. The
observations are built before the clock starts: only ``step`` is timed, plus,
separately, building the records the daemon reads at each 15-minute base cycle.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import time
from datetime import datetime, timedelta

from brain.contracts import DeviceStatusV1, ObservationV1
from brain.estimator import Estimator, EstimatorSettings

START = datetime.fromisoformat("2026-06-01T00:00:00+00:00")
POLL_S = 60.0
BASE_CYCLE_S = 900.0


def month(days: int, seed: int) -> list[tuple[ObservationV1, DeviceStatusV1]]:
    """Seeded observations every minute for ``days`` days, with a few faults along the way."""
    rng = random.Random(seed)
    out = []
    substrate = 65.0
    for i in range(int(days * 86400 / POLL_S)):
        ts = START + timedelta(seconds=i * POLL_S)
        hour = (i * POLL_S / 3600.0) % 24.0
        sun = math.sin(math.pi * (hour - 6.0) / 14.0) if 6.0 < hour < 20.0 else 0.0
        temp = 22.0 + 3.5 * math.sin(2 * math.pi * (hour - 9.0) / 24.0) + sun + rng.gauss(0.0, 0.04)
        saturation = 0.6108 * math.exp(17.27 * temp / (temp + 237.3))
        rh = min(97.0, 100.0 * (1.65 + 0.25 * sun) / saturation) + rng.gauss(0.0, 0.15)
        substrate = substrate - 0.02 * sun if substrate > 58.0 else substrate + 6.0
        sensors: dict[str, float | None] = {
            "air_temperature_c": round(temp, 2),
            "relative_humidity_pct": round(rh, 2),
            "co2_ppm": float(round(430.0 + 160.0 * (1.0 - sun) + rng.gauss(0.0, 4.0))),
            "par_umol_m2_s": round(1300.0 * sun + (rng.gauss(0.0, 3.0) if sun else 0.0), 1),
            "substrate_moisture_pct": round(substrate + rng.gauss(0.0, 0.05), 1),
        }
        if i % 10_000 == 5_000:
            sensors["co2_ppm"] = (sensors["co2_ppm"] or 0.0) + 900.0  # a spike
        if i % 997 == 0:
            sensors["air_temperature_c"] = None  # a failed read
        if 20_000 <= i < 20_600:
            sensors["relative_humidity_pct"] = 80.0  # frozen for 10 h
        errors = {"air_temperature_c": "CRC error"} if sensors["air_temperature_c"] is None else {}
        observation = ObservationV1(
            schema_version="1.0",
            timestamp=ts,
            site_id="bench",
            source="synthetic",
            sensors=sensors,
            errors=errors,
        )
        status = DeviceStatusV1(
            schema_version="1.0", timestamp=ts, site_id="bench", devices={"heater": "off"}
        )
        out.append((observation, status))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    inputs = month(args.days, args.seed)
    settings = EstimatorSettings.load()

    estimator = Estimator(settings)
    gc.collect()
    started = time.perf_counter()
    for observation, status in inputs:
        estimator.step(observation, status)
    step_s = (time.perf_counter() - started) / len(inputs)

    estimator = Estimator(settings)
    every = int(BASE_CYCLE_S / POLL_S)
    records = anomalies = 0
    started = time.perf_counter()
    for i, (observation, status) in enumerate(inputs):
        estimate = estimator.step(observation, status)
        anomalies += len(estimate.anomalies)
        if i % every == 0 or estimate.anomalies or estimate.health_changed:
            _ = estimate.state
            _ = estimate.sensor_health
            records += 1
    with_records_s = (time.perf_counter() - started) / len(inputs)

    print(f"observations: {len(inputs)} ({args.days} days at {POLL_S:.0f} s, seed {args.seed})")
    print(f"mean Estimator.step: {step_s * 1e6:.2f} us")
    print(
        f"mean step incl. building state + health at base cycles and events ({records} times): "
        f"{with_records_s * 1e6:.2f} us"
    )
    print(f"anomaly records: {anomalies}; history samples held: {len(estimator.history)}")


if __name__ == "__main__":
    main()
