"""Golden output of the estimator, to prove that a speed-up changed no record.

Run: ``python bench/estimator_golden.py OUT_DIR [--month PATH] [--field DIR]``, once before a
change and once after, then ``diff -r`` the two directories: they must be identical. It prints
what it wrote and how long each part took; nothing is asserted here.

Why two kinds of run:

- the daemon itself (``brain-daemon`` subprocesses): a replayed month (``--month``, e.g.
  ``/work/brief/month.jsonl``) and 48-hour simulations with scenarios; their ``state``,
  ``anomalies`` and ``sensor_health`` files are copied, one folder per run;
- the estimator in process, where every record of every step is written (not only the ones the
  daemon stores at base cycles and events), plus ``confidence``, ``health_changed`` and the
  history's statistics at the end: the real field logs (``--field``, read as the estimator tests
  and the CSV importer read them), ``bench/estimator.py``'s month, and a seeded chaos stream that
  visits every rare path (nulls, out-of-range, jumps, spikes, stuck, gaps, clock steps back,
  duplicates and disorder).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.estimator import month
from brain.contracts import DeviceStatusV1, ObservationV1
from brain.estimator import HISTORY_SERIES, Estimator, ObservationOrderError
from brain.sources.csv.importer import ImportSummary, iter_csv_observations
from brain.sources.csv.mapping import load_mapping
from tests.estimator.field_logs import cornell_observations, osu_observations, relays_unknown

STREAMS = ("state", "anomalies", "sensor_health")
SCENARIOS = (
    ("heatwave_stuck_rh", ["heatwave", "stuck_at:relative_humidity_pct@20h"]),
    ("spike_co2", ["spike:co2_ppm@5h"]),
    ("drift_temperature", ["drift:air_temperature_c@26h"]),
    ("disconnect_par", ["disconnect:par_umol_m2_s@30h"]),
    ("humid_night", ["humid_night"]),
    ("cold_night", ["cold_night"]),
)
CSV_LOGS = (
    ("agc2019_grodansens", "agc2019_tomato_reference_grodansens_2020-02-01_2020-03-14.csv"),
    ("cornell2020", "cornell2020_tomato_co2lassi_environment_2020-12-10_2021-01-09.csv"),
    ("osu2024", "osu2024_tomato_reference_environment.csv"),
)
DAEMON = Path(sys.executable).with_name("brain-daemon")


def daemon_run(out: Path, name: str, args: list[str]) -> None:
    """Run the daemon into a scratch data root; keep only the estimator's streams, by run folder."""
    with tempfile.TemporaryDirectory() as scratch:
        command = [str(DAEMON), *args, "--output-dir", scratch, "--log-format", "json"]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        for path in sorted(Path(scratch).rglob("*.jsonl")):
            if path.name.split(".")[0] in STREAMS:
                target = out / "daemon" / name / path.relative_to(scratch)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)


def dump_steps(out: Path, name: str, pairs: Iterable[tuple[ObservationV1, DeviceStatusV1]]) -> int:
    """Step a fresh estimator over ``pairs`` and write every record of every step to ``name``.jsonl."""
    estimator = Estimator()
    target = out / "estimator" / f"{name}.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)
    steps = 0
    with target.open("w", encoding="utf-8") as handle:
        for observation, status in pairs:
            steps += 1
            try:
                estimate = estimator.step(observation, status)
            except ObservationOrderError as exc:
                handle.write(f"rejected {type(exc).__name__}: {exc}\n")
                continue
            handle.write(f"step confidence={estimate.confidence!r} changed={estimate.health_changed}\n")
            handle.write(estimate.state.model_dump_json() + "\n")
            for record in estimate.sensor_health:
                handle.write(record.model_dump_json() + "\n")
            for anomaly in estimate.anomalies:
                handle.write(anomaly.model_dump_json() + "\n")
        _dump_history(estimator, handle)
    return steps


def _dump_history(estimator: Estimator, handle: TextIO) -> None:
    history = estimator.history
    handle.write(f"history len={len(history)} latest={history.latest_time_s!r}\n")
    for series in HISTORY_SERIES:
        for hours in (0.5, 6.0, 48.0):
            handle.write(f"stats {series} {hours} {history.stats(series, hours)!r}\n")
    samples = history.last_n_hours(1.0)
    handle.write(json.dumps([[s.time_s, list(s.values)] for s in samples]) + "\n")


def with_status(observations: Iterable[ObservationV1]) -> Iterator[tuple[ObservationV1, DeviceStatusV1]]:
    for observation in observations:
        yield observation, relays_unknown(observation.timestamp, observation.site_id)


def csv_log(field: Path, mapping: str, file: str) -> Iterator[ObservationV1]:
    return iter_csv_observations(field / file, load_mapping(mapping), ImportSummary(csv_path=field / file))


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


def chaos(seed: int, days: int = 20) -> Iterator[tuple[ObservationV1, DeviceStatusV1]]:
    """A seeded stream that visits every rare path of the estimator, many times."""
    rng = random.Random(seed)
    ts = datetime.fromisoformat("2026-03-01T00:00:00+00:00")
    level = {key: _chaos_target(key, 0.0) for key in _CHAOS_NOISE}
    frozen: dict[str, tuple[float, int]] = {}
    dead: dict[str, int] = {}
    for _ in range(days * 1440):
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--month", type=Path, default=Path("/work/brief/month.jsonl"))
    parser.add_argument(
        "--field", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/field"
    )
    args = parser.parse_args()
    out: Path = args.out
    shutil.rmtree(out, ignore_errors=True)

    def timed(what: str, run: Callable[[], int | None]) -> None:
        started = time.perf_counter()
        result = run()
        print(f"{what}: {time.perf_counter() - started:.1f} s" + (f", {result} steps" if result else ""))

    if args.month.exists():
        timed("daemon replay month", lambda: daemon_run(out, "month", ["--replay", str(args.month)]))
    for name, scenarios in SCENARIOS:
        flags = [f"--scenario={spec}" for spec in scenarios]
        timed(
            f"daemon {name}",
            lambda f=flags, n=name: daemon_run(out, n, ["--simulate", "--duration-hours", "48", *f]),
        )
    timed("estimator bench month", lambda: dump_steps(out, "bench_month", month(30, 1)))
    timed("estimator chaos", lambda: dump_steps(out, "chaos", chaos(7)))
    if args.field.is_dir():
        timed(
            "estimator field osu",
            lambda: dump_steps(out, "field_osu", with_status(osu_observations(args.field))),
        )
        timed(
            "estimator field cornell",
            lambda: dump_steps(out, "field_cornell", with_status(cornell_observations(args.field))),
        )
        for mapping, file in CSV_LOGS:
            observations = csv_log(args.field, mapping, file)
            timed(
                f"estimator csv {mapping}",
                lambda o=observations, m=mapping: dump_steps(out, f"csv_{m}", with_status(o)),
            )
    else:
        print(f"no field data at {args.field}: skipped")
    print(f"golden output in {out}")


if __name__ == "__main__":
    main()
