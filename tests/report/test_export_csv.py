"""``brain export-csv``: every state or observation once, a local-time column, VPD per observation."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from brain.estimator import vpd_kpa
from tests.runs import clean_env


def export(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "brain.cli", "export-csv", *args],
        capture_output=True, text=True, env=clean_env(), timeout=60, check=False,
    )  # fmt: skip


def test_states_in_local_time_one_row_per_state(heatwave_root: Path) -> None:
    result = export(str(heatwave_root), "--timezone", "Europe/Amsterdam")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    states = [
        json.loads(line)
        for line in next(heatwave_root.glob("run_*/state.0000.jsonl")).read_text().splitlines()
    ]

    assert result.returncode == 0
    assert len(rows) == len(states)
    assert rows[0]["timestamp_utc"] == "2026-06-01T00:00:00Z"
    assert rows[0]["local_time"] == "2026-06-01 02:00:00"
    assert rows[0]["timezone"] == "Europe/Amsterdam"
    assert float(rows[0]["vpd_kpa"]) == round(states[0]["vpd_kpa"], 3)
    assert f"{len(states):,} states, local time in Europe/Amsterdam" in result.stderr


def test_observations_carry_their_own_vpd_and_a_period_selects_local_days(
    heatwave_root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "obs.csv"
    result = export(str(heatwave_root), "--observations", "--timezone", "Europe/Amsterdam",
                    "--from", "2026-06-01", "--to", "2026-06-01", "--out", str(out))  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out.read_text())))

    assert result.returncode == 0
    assert len(rows) == 1440 - 120  # local 2026-06-01 starts at 22:00 UTC the day before, not simulated
    assert rows[0]["local_time"] == "2026-06-01 02:00:00"
    for row in rows[:50]:
        expected = vpd_kpa(float(row["air_temperature_c"]), float(row["relative_humidity_pct"]))
        assert float(row["vpd_kpa"]) == round(expected, 3)


def test_actions_one_row_each_with_reason_target_and_the_record_answered(heatwave_root: Path) -> None:
    from zoneinfo import ZoneInfo

    from brain.report.days import SiteZone
    from brain.report.export_csv import ACTION_COLUMNS, Period, export_actions

    parts = sorted(heatwave_root.glob("run_*/actions.*.jsonl"))
    actions = [json.loads(line) for part in parts for line in part.read_text().splitlines()]
    assert actions, "the heatwave gives the advisor something to say"
    out = io.StringIO()
    rows_written = export_actions(heatwave_root, Period(), SiteZone(ZoneInfo("UTC"), "command line"), out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows_written == len(rows) == len(actions)
    assert list(rows[0]) == ACTION_COLUMNS
    first = actions[0]
    assert rows[0]["reason"] == first["reason"] and rows[0]["action_type"] == first["action_type"]
    assert rows[0]["in_response_to"].startswith(first["in_response_to"]["stream"] + "@")
    assert rows[0]["mode"] == "advisory"
    result = export(str(heatwave_root), "--actions")
    assert result.returncode == 0 and f"{len(actions):,} actions" in result.stderr


def test_derived_values_are_rounded_and_readings_written_as_stored(heatwave_root: Path) -> None:
    """Issue 25: VPD to 3 decimals, dew point to 2, confidence to 3; the five readings untouched."""
    result = export(str(heatwave_root))
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    states = [
        json.loads(line)
        for line in next(heatwave_root.glob("run_*/state.0000.jsonl")).read_text().splitlines()
    ]
    assert result.returncode == 0 and len(rows) == len(states)
    long_in_store = sum(len(repr(state["vpd_kpa"])) > 8 for state in states)
    assert long_in_store > len(states) // 2, "the store keeps full precision; the CSV must round it"
    for row, state in zip(rows, states, strict=True):
        for column, decimals in (("vpd_kpa", 3), ("dew_point_c", 2), ("confidence", 3)):
            if state[column] is None:
                assert row[column] == ""
                continue
            assert len(row[column].partition(".")[2]) <= decimals, (column, row[column])
            assert float(row[column]) == pytest.approx(state[column], abs=0.5 * 10**-decimals + 1e-12)
        for column in ("air_temperature_c", "relative_humidity_pct", "co2_ppm", "par_umol_m2_s"):
            assert row[column] == ("" if state[column] is None else repr(state[column])), column
