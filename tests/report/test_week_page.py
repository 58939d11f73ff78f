"""The week page: its episodes listed once and shaded over one continuous curve, missing sensors named once.

The expected episodes come from the raw ``anomalies`` files the daemon wrote, paired here by
``(kind, started_at)``, not from the report's own pairing.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from brain.report.days import day_window, resolve_zone
from brain.report.report import week_report
from tests.report.conftest import DAY
from tests.report.test_pages_in_browser import WEEK_CHARTS, check_in_browser
from tests.runs import DAEMON, clean_env

UTC_ZONE = resolve_zone(None, None)
OHIO = resolve_zone(None, "America/New_York")
WARM_WEEK = date(2024, 7, 1)
"""OSU's warm spell: Wednesday 3 to Friday 5 July 2024 above 30 °C by day and warm at night."""


def raw_episodes(root: Path, start: datetime, end: datetime) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The anomaly records of every episode that touched ``[start, end)``, by ``(kind, started_at)``."""
    episodes: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for path in sorted(root.glob("run_*/anomalies.*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            episodes.setdefault((record["kind"], record["started_at"]), []).append(record)
    return {
        key: records
        for key, records in episodes.items()
        if datetime.fromisoformat(key[1]) < end
        and (records[-1]["ended_at"] is None or datetime.fromisoformat(records[-1]["ended_at"]) > start)
    }


def episode_rows(html: str) -> list[list[str]]:
    table = html.split("<h2>Anomaly episodes</h2>")[1].split("</table>", maxsplit=1)[0]
    return [re.findall(r"<td>([^<]*)</td>", row) for row in table.split("<tr")[2:]]


def test_a_week_lists_its_episodes_once_numbered_with_their_trigger_thresholds(heatwave_root: Path) -> None:
    report = week_report(heatwave_root, DAY - timedelta(days=3), UTC_ZONE)
    start, end = report.summaries[0].window.start, report.summaries[-1].window.end
    raw = raw_episodes(heatwave_root, start, end)

    rows = episode_rows(report.html)

    assert [row[0] for row in rows] == [str(n) for n in range(1, len(raw) + 1)]
    expected = sorted((datetime.fromisoformat(started), kind) for kind, started in raw)
    assert [row[1] for row in rows] == [kind.replace("_", " ") for _, kind in expected]
    for row, (started, kind) in zip(rows, expected, strict=True):
        records = raw[(kind, started.isoformat().replace("+00:00", "Z"))]
        worst = max(records, key=lambda r: ("info", "warning", "critical").index(r["severity"]))["severity"]
        trigger = next(r["threshold"] for r in records if r["severity"] == worst and r["ended_at"] is None)
        assert row[6] == f"{trigger:g}", (kind, row)
    assert "critical from" in next(row[2] for row in rows if row[1] == "temperature high")


@pytest.mark.field_data
def test_the_osu_warm_spell_week_names_each_episode_once_over_a_continuous_curve(
    field_data: Path, tmp_path: Path
) -> None:
    # 27 June to 8 July 2024 (US Eastern): the week, three days before (episodes already open), a day after.
    lines = (field_data / "osu2024_tomato_reference_environment.csv").read_text().splitlines(keepends=True)
    csv = tmp_path / "osu_warm_week.csv"
    csv.write_text(lines[0] + "".join(lines[1 + 3 * 288 : 1 + 15 * 288]))
    imported, root = tmp_path / "osu.jsonl", tmp_path / "osu"
    for args in (
        ["-m", "brain.cli", "import-csv", "--mapping", "osu2024", "--output", str(imported), str(csv)],
        [
            *DAEMON,
            "--replay",
            str(imported),
            "--time-scale",
            "0",
            "--output-dir",
            str(root),
            "--log-format",
            "json",
        ],
    ):
        result = subprocess.run(
            [sys.executable, *args], capture_output=True, text=True, env=clean_env(), check=False
        )
        assert result.returncode == 0, result.stderr[-2000:]
    start = day_window(WARM_WEEK, OHIO.zone).start
    raw = raw_episodes(root, start, start + timedelta(days=7))

    report = week_report(root, WARM_WEEK, OHIO)
    dom = check_in_browser(report, tmp_path, WEEK_CHARTS)

    rows = episode_rows(dom)
    assert len(rows) == len(raw) >= 2  # the warm spell's heat, its warm night (with the hot 24-hour mean:
    kinds = [row[1] for row in rows]  # one family since issue 28) ...
    assert {"temperature high", "warm night"} <= set(kinds)
    assert len({(row[1], row[3]) for row in rows}) == len(rows)  # ... each once, though it spans midnights
    # The warm spell's nights: one standing episode from the night of Tue 02 Jul (issue 28), named once.
    assert any(row[1] == "warm night" and row[3].startswith("Tue 02 Jul") for row in rows), rows
    assert 'id="chart-week-air_temperature_c"' in dom and "over the week" in dom
    notes = dom.split("<h2>What is missing</h2>")[1].split("</div>")[0]
    assert notes.count("PAR") == 1  # the sensors OSU never had: one line for the week, not one per day
    assert "No PAR or substrate moisture readings all week (not in source log)" in notes


def test_a_day_of_partial_figures_is_starred_in_the_week_table(tmp_path: Path) -> None:
    from tests.report.conftest import write_day

    root = write_day(tmp_path / "data", humidity_out=(0, 835))  # humidity read 42 % of the day
    report = week_report(root, DAY, UTC_ZONE)

    row = next(r for r in report.html.split("<tr") if r.startswith("><td>Mon 01 Jun"))
    cells = re.findall(r"<td>([^<]*)</td>", row)
    assert cells[2] == "22.0"  # temperature read all day: a whole figure
    assert cells[6:8] == ["1.01*", "100*"]  # VPD from 42 % of the day: its maximum and its time in band
    assert "No anomaly episode this week." in report.html


def test_brain_report_week_names_a_sensor_the_site_never_had_once(tmp_path: Path) -> None:
    from tests.report.conftest import write_day

    root = write_day(tmp_path / "data", par=False)
    for offset in (1, 2):  # three days from a greenhouse without a PAR sensor
        write_day(root, par=False, start=DAY + timedelta(days=offset))
    out = tmp_path / "week.html"

    result = subprocess.run(
        [sys.executable, "-m", "brain.cli", "report", str(root), "--week", str(DAY), "--timezone", "UTC",
         "--out", str(out)],
        capture_output=True, text=True, env=clean_env(), check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    said = [line for line in result.stdout.splitlines() if "PAR" in line]
    assert said == [
        "  No PAR readings all week (not in source log): no light integral, day and night by the clock."
    ]
    assert "2026-06-04: No observations on this day: nothing to draw or to compute." in result.stdout
