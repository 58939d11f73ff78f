"""Mean cost of one ``Estimator.step`` over a simulated month of 60-second polls.

Run: ``python bench/estimator.py [--days 30] [--seed 1]``. It prints figures;
nothing is asserted (the goals are in docs/estimator.md with the last measured figures).

Two months are timed:

- its own generator's: a small seeded diurnal greenhouse that depends on no other
  part of brain, with a spike, a few read errors and a frozen sensor so that the
  slow paths run too. The observations are built before the clock starts: only
  ``step`` is timed, plus, separately, building the records the daemon reads at
  each 15-minute base cycle;
- the replay benchmark's month file: ``SyntheticSource`` seed 1 from 2025-01-01,
  30 days at 60 s (the same bytes as the file ``brain-daemon --replay`` is timed
  on), written as JSONL and read back by ``ReplaySource``, each observation handed
  to ``step`` as it is read and not kept (holding 43,200 records alive would make
  the garbage collector's work, and so the figure, larger than in the daemon).
  Each ``step`` call is timed on its own; best of three passes.

A third figure does not move with the machine's load: the instructions per ``step``
counted by callgrind over the first week of the first month (10,080 steps on a fresh
estimator, the inputs built before the region starts; ``bench/callgrind.py`` says how).
``make bench`` (bench/run_all.py) judges that count (issue 29: <= 110,000; goal 60,000);
the microseconds are printed beside it.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog
from callgrind import MARK_END, MARK_START, available, regions

from brain.contracts import DeviceStatusV1, ObservationV1
from brain.estimator import Estimator, EstimatorSettings
from brain.sources.replay import ReplaySource
from brain.sources.synthetic.source import SyntheticSource

START = datetime.fromisoformat("2026-06-01T00:00:00+00:00")
POLL_S = 60.0
BASE_CYCLE_S = 900.0
COUNTED_DAYS = 7
"""The days of the month whose steps callgrind counts: a week holds a spike, read errors and a full 48 h window."""
STEP_INSTRUCTIONS_MAX = 110_000
"""Issue 29's budget for one ``Estimator.step``, in instructions (101,435 when it was set; goal 60,000)."""


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


def write_month_file(path: Path, days: int) -> int:
    """The replay benchmark's month: ``SyntheticSource`` seed 1 from 2025-01-01, as JSONL; returns lines."""
    source = SyntheticSource(
        seed=1,
        start=datetime(2025, 1, 1, tzinfo=UTC),
        poll_interval_s=POLL_S,
        duration_s=days * 86400.0,
        site_id="bench",
    )
    lines = 0
    with path.open("w", encoding="utf-8") as out:
        while (observation := source.next_observation()) is not None:
            source.device_status()
            out.write(observation.model_dump_json() + "\n")
            lines += 1
    return lines


def replayed_step_us(path: Path, settings: EstimatorSettings) -> float:
    """Mean microseconds of ``step`` over the file, each observation stepped as read, not kept."""
    source = ReplaySource(path)
    estimator = Estimator(settings)
    clock = time.perf_counter
    spent = 0.0
    steps = 0
    gc.collect()
    while (observation := source.next_observation()) is not None:
        status = source.device_status()
        started = clock()
        estimator.step(observation, status)
        spent += clock() - started
        steps += 1
    source.close()
    return spent / steps * 1e6


def _own_month_step_us(
    inputs: list[tuple[ObservationV1, DeviceStatusV1]], settings: EstimatorSettings
) -> float:
    """Mean microseconds of ``step`` over the pre-built month, best of three passes (each a new estimator).

    Why the best: the machine may run other jobs; the least disturbed pass is the cost of ``step``.
    """
    best = math.inf
    for _ in range(3):
        estimator = Estimator(settings)
        gc.collect()
        started = time.perf_counter()
        for observation, status in inputs:
            estimator.step(observation, status)
        best = min(best, (time.perf_counter() - started) / len(inputs))
    return best * 1e6


def step_instructions(days: int = COUNTED_DAYS, seed: int = 1) -> float | str:
    """Mean instructions per ``step`` over ``days`` of :func:`month`, or why callgrind cannot count them."""
    why = available()
    if why is not None:
        return f"skipped: {why}"
    code = (
        "import sys\n"
        "sys.path.insert(0, 'bench')\n"
        "from estimator import month\n"
        "from brain.estimator import Estimator, EstimatorSettings\n"
        f"inputs = month({days}, {seed})\n"
        "estimator = Estimator(EstimatorSettings.load())\n"
        f"{MARK_START}\n"
        "for observation, status in inputs:\n"
        "    estimator.step(observation, status)\n"
        f"{MARK_END}\n"
    )
    (counted,) = regions(code)
    return counted / (days * 86400 / POLL_S)


def measure(days: int = 30, seed: int = 1) -> dict[str, float]:
    """The figures: ``step_us`` (printed beside the instruction count that judges the budget), ``with_records_us``,
    ``records``, ``anomalies``, ``history``, ``observations`` and ``month_file_step_us``."""
    inputs = month(days, seed)
    settings = EstimatorSettings.load()
    step_us = _own_month_step_us(inputs, settings)

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
    with_records_us = (time.perf_counter() - started) / len(inputs) * 1e6

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))  # no source chatter
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "month.jsonl"
        lines = write_month_file(path, days)
        month_file_us = min(replayed_step_us(path, settings) for _ in range(3))
    return {
        "observations": len(inputs),
        "step_us": step_us,
        "with_records_us": with_records_us,
        "records": records,
        "anomalies": anomalies,
        "history": len(estimator.history),
        "month_file_lines": lines,
        "month_file_step_us": month_file_us,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-callgrind", action="store_true", help="skip the instruction count (slow)")
    args = parser.parse_args()
    f = measure(args.days, args.seed)
    print(f"observations: {f['observations']:.0f} ({args.days} days at {POLL_S:.0f} s, seed {args.seed})")
    print(f"mean Estimator.step: {f['step_us']:.2f} us (best of 3 passes)")
    counted = "skipped: --no-callgrind" if args.no_callgrind else step_instructions(seed=args.seed)
    if isinstance(counted, str):
        print(f"instructions per Estimator.step: {counted}")
    else:
        print(
            f"instructions per Estimator.step: {counted:,.0f} (callgrind, first {COUNTED_DAYS} days; "
            f"required <= {STEP_INSTRUCTIONS_MAX:,})"
        )
    print(
        f"mean step incl. building state + health at base cycles and events ({f['records']:.0f} times): "
        f"{f['with_records_us']:.2f} us"
    )
    print(f"anomaly records: {f['anomalies']:.0f}; history samples held: {f['history']:.0f}")
    print(
        f"month file ({f['month_file_lines']:.0f} observations, SyntheticSource seed 1, read by ReplaySource): "
        f"mean Estimator.step {f['month_file_step_us']:.2f} us (best of 3)"
    )


if __name__ == "__main__":
    main()
