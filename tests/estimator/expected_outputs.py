"""The estimator's verdicts on fixed inputs, as files checked by ``test_expected_outputs.py``.

Why files: a change of what brain says about a greenhouse (a threshold, a rule, a
fault detector) must show up as a reviewed diff of these files in the same
commit, not slip through a test that only checks a few numbers.

Two kinds of case:

- simulated days (``SyntheticSource`` with the scenarios the daemon takes), written
  as the daemon would store them: every anomaly record, and the state with its
  sensor-health records at every three hours and whenever an anomaly or a change of
  health happened (``anomalies.jsonl``, ``state.jsonl``, ``sensor_health.jsonl``);
- the real field logs in ``../shared/data/field`` (imported with their CSV mappings,
  as ``brain import-csv`` does), summarised, never copied: the anomaly episodes and
  the sensor-fault episodes, one line each, and counts (``summary.txt``).

Regenerate after an intended change, then review ``git diff tests/estimator/expected``::

    .venv/bin/python -m tests.estimator.expected_outputs            # every case
    .venv/bin/python -m tests.estimator.expected_outputs osu2024    # some cases
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from brain.contracts import DeviceStatusV1, ObservationV1, SensorFault
from brain.estimator import Estimate, Estimator, ObservationOrderError
from brain.sources.csv.importer import ImportSummary, iter_csv_observations
from brain.sources.csv.mapping import load_mapping
from brain.sources.synthetic import SyntheticSource, parse_scenario
from tests.estimator.chaos import chaos
from tests.estimator.field_logs import relays_unknown

EXPECTED = Path(__file__).resolve().parent / "expected"
FIELD_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "field"
START = datetime(2026, 7, 14, tzinfo=UTC)
"""A summer day: the simulated greenhouse's heat and light episodes happen."""
AGC_SPAN = "2020-02-01_2020-03-14"
CORNELL_SPAN = "2020-12-10_2021-01-09"
RECORD_EVERY = timedelta(hours=3)
"""The simulated cases store a state at least this often (the daemon's base cycle, coarser)."""

Pairs = Iterable[tuple[ObservationV1, DeviceStatusV1]]


@dataclass(frozen=True)
class SimulatedCase:
    """A seeded synthetic greenhouse with scenarios, stepped at ``poll_s`` for ``days``
    (scenario ``chaos``: :func:`tests.estimator.chaos.chaos` instead, at 30-90 s polls)."""

    name: str
    scenarios: tuple[str, ...]
    days: float = 1.0
    poll_s: float = 120.0
    seed: int = 1

    def pairs(self) -> Pairs:
        if self.scenarios == ("chaos",):
            return chaos(self.seed, self.days)
        return self._synthetic()

    def _synthetic(self) -> Pairs:
        source = SyntheticSource(
            seed=self.seed,
            start=START,
            poll_interval_s=self.poll_s,
            duration_s=self.days * 86400.0,
            site_id="expected",
            scenarios=[parse_scenario(spec) for spec in self.scenarios],
        )
        while (observation := source.next_observation()) is not None:
            yield observation, source.device_status()


@dataclass(frozen=True)
class FieldCase:
    """A real log, read through its CSV mapping."""

    name: str
    mapping: str
    file: str

    def estimator(self) -> Estimator:
        """An estimator for the site: its nights and days are those of the log's time zone and place
        (the mapping's ``latitude``/``longitude``, which a replay of an imported log reads in the sidecar)."""
        mapping = load_mapping(self.mapping)
        return Estimator(timezone=mapping.timezone, latitude=mapping.latitude, longitude=mapping.longitude)

    def pairs(self) -> Pairs:
        path = FIELD_DATA / self.file
        observations = iter_csv_observations(path, load_mapping(self.mapping), ImportSummary(csv_path=path))
        for observation in observations:
            yield observation, relays_unknown(observation.timestamp, observation.site_id)


SIMULATED = (
    SimulatedCase("clean_day", ()),
    SimulatedCase("heatwave_stuck_rh", ("heatwave", "stuck_at:relative_humidity_pct@10h")),
    SimulatedCase("spike_co2", ("spike:co2_ppm@5h",)),
    SimulatedCase("disconnect_par", ("disconnect:par_umol_m2_s@8h,duration=40m",)),
    SimulatedCase("cold_night", ("cold_night",)),
    SimulatedCase("humid_night", ("humid_night",)),
    SimulatedCase("drift_temperature", ("drift:air_temperature_c@26h",), days=3.0, poll_s=300.0),
    SimulatedCase("chaos", ("chaos",), days=0.25, seed=7),
)
FIELD = (
    FieldCase("osu2024", "osu2024", "osu2024_tomato_reference_environment.csv"),
    FieldCase(
        "cornell2020",
        "cornell2020",
        "cornell2020_tomato_co2lassi_environment_2020-12-10_2021-01-09.csv",
    ),
    FieldCase(
        "agc2019_grodansens",
        "agc2019_grodansens",
        "agc2019_tomato_reference_grodansens_2020-02-01_2020-03-14.csv",
    ),
)


def stepped(pairs: Pairs, estimator: Estimator | None = None) -> Iterator[Estimate]:
    """Every estimate of a fresh estimator over ``pairs`` (refused observations are skipped)."""
    estimator = estimator if estimator is not None else Estimator()
    for observation, status in pairs:
        try:
            yield estimator.step(observation, status)
        except ObservationOrderError:
            continue


def render_simulated(case: SimulatedCase) -> dict[str, str]:
    """The three streams as the daemon stores them (state and health every 3 h and on events)."""
    lines: dict[str, list[str]] = {"anomalies": [], "state": [], "sensor_health": []}
    next_record: datetime | None = None
    for estimate in stepped(case.pairs()):
        lines["anomalies"].extend(record.model_dump_json() for record in estimate.anomalies)
        due = next_record is None or estimate.timestamp >= next_record
        if due or estimate.anomalies or estimate.health_changed:
            lines["state"].append(estimate.state.model_dump_json())
            lines["sensor_health"].extend(record.model_dump_json() for record in estimate.sensor_health)
        if due:
            next_record = estimate.timestamp + RECORD_EVERY
    return {f"{stream}.jsonl": "".join(line + "\n" for line in found) for stream, found in lines.items()}


def render_field(case: FieldCase) -> dict[str, str]:
    """A compact summary of a real log's verdicts: episodes one per line, and counts."""
    steps = 0
    anomalies: list[str] = []
    faults: list[str] = []
    fault_counts: Counter[str] = Counter()
    episode_counts: Counter[str] = Counter()
    faulty: dict[str, bool] = {}
    seen: set[tuple[str, datetime]] = set()
    confidence_sum = 0.0
    for estimate in stepped(case.pairs(), case.estimator()):
        steps += 1
        confidence_sum += estimate.confidence
        for record in estimate.anomalies:
            end = "open" if record.ended_at is None else f"ended {record.ended_at:%Y-%m-%dT%H:%M}"
            anomalies.append(
                f"{record.timestamp:%Y-%m-%dT%H:%M} {record.kind.value} {record.severity.value} "
                f"started {record.started_at:%Y-%m-%dT%H:%M} {end}: {record.message}"
            )
            episode = (record.kind.value, record.started_at)
            if episode not in seen:  # a later record of the same episode is a change or its end
                seen.add(episode)
                episode_counts[record.kind.value] += 1
        if not estimate.health_changed:
            continue
        for record in estimate.sensor_health:
            now_faulty = record.fault is not SensorFault.NONE  # faulty, or suspect (drift: degraded)
            if now_faulty and not faulty.get(record.sensor.value, False):
                statistic = record.evidence.statistic if record.evidence else "-"
                faults.append(
                    f"{record.sensor.value} {record.fault.value} since {record.since:%Y-%m-%dT%H:%M} "
                    f"flagged {record.timestamp:%Y-%m-%dT%H:%M} ({statistic})"
                )
                fault_counts[f"{record.sensor.value} {record.fault.value}"] += 1
            faulty[record.sensor.value] = now_faulty
    header = [
        f"case {case.name}: {steps} observations, mean confidence {confidence_sum / max(steps, 1):.3f}",
        "",
        "fault episodes per sensor and fault:",
        *(f"  {key}: {count}" for key, count in sorted(fault_counts.items())),
        "anomaly episodes per kind:",
        *(f"  {key}: {count}" for key, count in sorted(episode_counts.items())),
        "",
        "sensor fault episodes, faulty or suspect (times UTC):",
        *faults,
        "",
        "anomaly records (times UTC):",
        *anomalies,
    ]
    return {"summary.txt": "\n".join(header) + "\n"}


RENDERERS: dict[str, Callable[[], dict[str, str]]] = {
    **{case.name: (lambda c=case: render_simulated(c)) for case in SIMULATED},
    **{case.name: (lambda c=case: render_field(c)) for case in FIELD},
}
"""Case name to the function that renders its files."""


def write(name: str) -> list[Path]:
    """Render case ``name`` and write its files under ``EXPECTED/name``; return the paths."""
    folder = EXPECTED / name
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, text in RENDERERS[name]().items():
        path = folder / file_name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Regenerate the expected files of the named cases (all by default)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", choices=[*RENDERERS, []], help="case names (default: all)")
    args = parser.parse_args(argv)
    for name in args.cases or list(RENDERERS):
        if name in {case.name for case in FIELD} and not FIELD_DATA.is_dir():
            print(f"{name}: skipped, no field data at {FIELD_DATA}")
            continue
        for path in write(name):
            print(f"wrote {path.relative_to(EXPECTED.parents[2])} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
