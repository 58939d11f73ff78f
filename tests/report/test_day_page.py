"""What the day page says: partial figures, trigger thresholds, severity as it happened, the verdict line.

Each expectation is computed here from the raw files the daemon wrote (or from a day written
to order), not copied from the report's own output.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from brain.contracts import SensorKey
from brain.report.day_page import anomaly_table, figures_table, headline_cards
from brain.report.day_verdict import day_verdict
from brain.report.days import day_window, resolve_zone
from brain.report.daystats import VPD
from brain.report.plots import new_figure, require_matplotlib, time_axis
from brain.report.report import summarise_day
from tests.report.conftest import DAY, write_day
from tests.runs import clean_env

UTC_ZONE = resolve_zone(None, None)
HUMIDITY_BACK_AT = 835
"""Minute the humidity sensor comes back: 605 of 1,440 minutes read, 42 % of the day."""


def _lines(root: Path, stream: str) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted(root.glob(f"run_*/{stream}.*.jsonl"))
        for line in path.read_text().splitlines()
    ]


@pytest.fixture
def humidity_out_root(tmp_path: Path) -> Path:
    """A steady day whose humidity sensor is out until 13:55: VPD from 42 % of the day."""
    return write_day(tmp_path / "data", humidity_out=(0, HUMIDITY_BACK_AT))


def test_vpd_in_band_from_42_pct_of_the_day_is_partial_and_never_green(humidity_out_root: Path) -> None:
    summary, _ = summarise_day(humidity_out_root, DAY, UTC_ZONE)
    cards = {label: (value, hint, verdict) for value, label, hint, verdict in headline_cards(summary)}

    assert summary.vpd_in_band_pct == 100.0  # every reading it has is in band ...
    assert summary.sensor_completeness_pct(VPD) == pytest.approx(100 * (1440 - HUMIDITY_BACK_AT) / 1440)
    value, hint, verdict = cards["of the day with VPD in band (partial)"]  # ... but from 42 % of the day
    assert (value, hint, verdict) == ("100 %", "from 42 % of the day: not judged", "partial")
    assert cards["highest VPD (every observation) (partial)"][2] == "partial"
    assert cards["24-hour mean temperature"][2] == "good"  # the temperature was read all day
    assert "VPD in band (target 0.5-1.2 kPa) (partial)" in figures_table(summary)
    assert (
        "Partial figures (from less than 80 % of the day, not judged): Relative humidity, VPD."
        in summary.notes
    )


def test_the_share_that_makes_a_figure_partial_is_a_setting(humidity_out_root: Path) -> None:
    summary, _ = summarise_day(humidity_out_root, DAY, UTC_ZONE, min_share_pct=40.0)
    verdicts = {label: verdict for _, label, _, verdict in headline_cards(summary)}

    assert verdicts["of the day with VPD in band"] == "good"
    assert not any("Partial" in note for note in summary.notes)


def test_the_anomaly_table_shows_the_trigger_threshold_and_severity_as_it_happened(
    heatwave_root: Path,
) -> None:
    records = [r for r in _lines(heatwave_root, "anomalies") if r["kind"] == "temperature_high"]
    start, *changes, end = records
    escalation = next(r for r in changes if r["severity"] == "critical")
    # Raw: the start crossed 30, the escalation 35; the end carries the release threshold. Since
    # issue 28 an easing (critical back to warning) is no record of its own: the end gives the worst.
    assert (start["threshold"], escalation["threshold"], end["threshold"]) == (30.0, 35.0, 29.0)
    assert all(r["severity"] == "critical" for r in changes)
    summary, _ = summarise_day(heatwave_root, DAY, UTC_ZONE)
    episode = next(e for e in summary.episodes if e.kind.value == "temperature_high")

    assert episode.threshold == 35.0  # the paired episode keeps the trigger, not its end's release
    assert summary.trigger_thresholds[episode.key] == 35.0
    row = next(r for r in anomaly_table(summary).split("<tr") if "temperature high" in r)
    assert "<td>35</td>" in row and "<td>29</td>" not in row
    spans = summary.severity_spans[episode.key]
    assert [s.label for s in spans] == ["warning", "critical"]
    assert spans[0].start == datetime.fromisoformat(start["started_at"])
    assert spans[1].start == datetime.fromisoformat(escalation["timestamp"])
    assert spans[1].end == datetime.fromisoformat(end["ended_at"])
    assert f"critical from {spans[1].start:%H:%M}" in row


def test_the_verdict_counts_the_hot_hours_from_every_observation(heatwave_root: Path) -> None:
    hot_minutes = sum(
        1 for o in _lines(heatwave_root, "observations") if o["sensors"]["air_temperature_c"] > 30
    )
    summary, _ = summarise_day(heatwave_root, DAY, UTC_ZONE)

    line, level = day_verdict(summary)

    assert line.startswith(f"{hot_minutes / 60:.1f} h above 30 °C;")
    assert "critical: temperature high" in line and "warning: temperature mean high" in line
    assert level == "bad"


def test_the_verdict_names_a_stuck_sensor_and_since_when(stuck_root: Path) -> None:
    since = next(
        h["since"]
        for h in _lines(stuck_root, "sensor_health")
        if h["sensor"] == SensorKey.RELATIVE_HUMIDITY_PCT.value and h["status"] == "faulty"
    )
    summary, _ = summarise_day(stuck_root, DAY, UTC_ZONE)

    line, level = day_verdict(summary)

    assert f"humidity sensor stuck since {since[11:16]}: check it" in line.lower()
    assert level == "bad"


def test_a_good_day_verdict_says_why_it_is_good(steady_root: Path) -> None:
    summary, _ = summarise_day(steady_root, DAY, UTC_ZONE)

    assert day_verdict(summary) == (
        "Temperature 18.0-26.0 °C, VPD in band 100 % of the day: nothing to check.",
        "good",
    )


def test_the_closing_midnight_tick_label_is_inside_the_picture() -> None:
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure, axes = new_figure(2.6)
    canvas = FigureCanvasAgg(figure)
    window = day_window(DAY, UTC_ZONE.zone)
    time_axis(axes, window.start, window.end, UTC_ZONE.zone)
    canvas.draw()

    last = [label for label in axes.get_xticklabels() if label.get_text()][-1]
    assert last.get_text() == "00:00"
    assert last.get_window_extent(canvas.get_renderer()).x1 <= figure.bbox.width


def test_the_verdict_says_a_sensor_read_too_little_of_the_day(humidity_out_root: Path) -> None:
    summary, _ = summarise_day(humidity_out_root, DAY, UTC_ZONE)

    assert day_verdict(summary) == ("Humidity read 42 % of the day: check it.", "warn")


def test_brain_report_min_share_sets_when_a_figure_is_partial(
    humidity_out_root: Path, tmp_path: Path
) -> None:
    from brain.cli.report import MIN_SHARE_PCT as CLI_DEFAULT
    from brain.report.daystats import MIN_SHARE_PCT

    pages = {}
    for share in ("80", "40"):
        out = tmp_path / f"share-{share}.html"
        result = subprocess.run(
            [sys.executable, "-m", "brain.cli", "report", str(humidity_out_root), "--day", str(DAY),
             "--timezone", "UTC", "--out", str(out), "--min-share", share],
            capture_output=True, text=True, env=clean_env(), check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        pages[share] = out.read_text()
    refused = [
        subprocess.run(
            [sys.executable, "-m", "brain.cli", "report", str(humidity_out_root), "--min-share", bad],
            capture_output=True,
            text=True,
            env=clean_env(),
            check=False,
        )
        for bad in ("120", "most")
    ]

    assert CLI_DEFAULT == MIN_SHARE_PCT  # the command's default is the report's
    assert "of the day with VPD in band (partial)" in pages["80"]
    assert "of the day with VPD in band (partial)" not in pages["40"]
    assert [r.returncode for r in refused] == [2, 2]
    assert "not a percentage from 0 to 100: '120'" in refused[0].stderr
    assert "not a number: 'most'" in refused[1].stderr


def test_the_verdict_names_hours_without_data_and_an_empty_day(gap_root: Path) -> None:
    summary, _ = summarise_day(gap_root, DAY, UTC_ZONE)
    empty, _ = summarise_day(gap_root, DAY + timedelta(days=1), UTC_ZONE)

    assert day_verdict(summary) == ("No data for 3.5 h.", "warn")
    assert day_verdict(empty) == ("No observations on this day: nothing to judge.", "bad")


def test_the_verdict_passes_on_advice_to_inspect_a_device(tmp_path: Path) -> None:
    from brain.storage import DatasetWriter, StorageSettings
    from tests.factories import T0
    from tests.report.conftest import advice

    root = write_day(tmp_path / "data")
    writer = DatasetWriter(root, StorageSettings(fsync="never"))
    reason = "exhaust_fans at 100 % for 45 min and the air still warming: inspect exhaust_fans."
    writer.write("actions", advice(T0 + timedelta(hours=10), "inspect_sensor", "exhaust_fans", reason))
    writer.close()
    summary, _ = summarise_day(root, DAY, UTC_ZONE)

    assert day_verdict(summary) == ("Advice: inspect exhaust_fans.", "warn")
