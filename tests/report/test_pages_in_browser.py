"""The report as a grower sees it: opened in headless Chromium, screenshotted, its DOM checked.

Each page must lay out at 1280 px, show many colours (not a blank or an error page), carry
every chart as an inline PNG that decodes, and reference nothing outside itself.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from brain.report.days import resolve_zone
from brain.report.report import Report, day_report, week_report
from tests.report.browser import (
    HEIGHT,
    WIDTH,
    decoded_images,
    dump_dom,
    external_references,
    picture_facts,
    screenshot,
)
from tests.report.conftest import DAY, REASON
from tests.runs import DAEMON, clean_env

UTC_ZONE = resolve_zone(None, None)
DAY_CHARTS = 8  # temperature, humidity, VPD, CO2, PAR, substrate, devices, health timeline
WEEK_CHARTS = 5  # temperature, humidity, VPD, CO2 ranges; light-integral bars


def check_in_browser(report: Report, tmp_path: Path, charts: int) -> str:
    """Write the page, open it in Chromium twice (screenshot, DOM) and check both; return the DOM."""
    page = tmp_path / "report.html"
    page.write_text(report.html, encoding="utf-8")
    picture = screenshot(page, tmp_path / "report.png", tmp_path / "profile")
    size, colours = picture_facts(picture)
    assert size == (WIDTH, HEIGHT)
    assert colours > 1000, f"only {colours} colours: a blank or broken page"
    dom = dump_dom(page, tmp_path / "profile")
    assert external_references(dom) == []
    images = decoded_images(dom)
    assert len(images) == charts
    for width, height, image_colours in images:
        assert width >= 1000 and height >= 150
        assert image_colours > 20, "a chart that is a blank rectangle"
    return dom


def test_heatwave_day_report_opens_in_a_browser_with_every_chart(heatwave_root: Path, tmp_path: Path) -> None:
    report = day_report(heatwave_root, DAY, UTC_ZONE)
    dom = check_in_browser(report, tmp_path, DAY_CHARTS)

    assert "Monday 01 June 2026" in dom
    assert "temperature high" in dom and "critical" in dom  # the heatwave's episodes are listed
    assert "Nothing: every sensor reported all day" in dom
    assert "light integral" in dom


def test_week_report_opens_in_a_browser_and_says_which_days_are_empty(
    heatwave_root: Path, tmp_path: Path
) -> None:
    report = week_report(heatwave_root, date(2026, 5, 29), UTC_ZONE)
    dom = check_in_browser(report, tmp_path, WEEK_CHARTS)

    assert [s.observation_count for s in report.summaries] == [0, 0, 0, 1440, 0, 0, 0]
    assert "Fri 29 May: No observations on this day" in dom
    assert "Mon 01 Jun" in dom


def test_the_day_page_draws_the_devices_and_marks_the_advice_with_its_reason(
    advised_root: Path, tmp_path: Path
) -> None:
    report = day_report(advised_root, DAY, UTC_ZONE)
    dom = check_in_browser(report, tmp_path, DAY_CHARTS)

    devices = dom.split('id="chart-devices"')[1].split("</figure>")[0]
    titles = re.findall(r'<span class="mark" style="left:([\d.]+)%;top:([\d.]+)%" title="([^"]+)"', devices)
    assert [title for _, _, title in titles] == [
        f"10:00 turn on vent_fan: {REASON}",
        "12:00 inspect sensor: CO2 valve unreadable.",
    ]
    assert 0 < float(titles[0][0]) < float(titles[1][0]) < 100  # 10:00 left of 12:00, both on the chart
    assert "<h2>Advice</h2>" in dom and REASON in dom.split("<h2>Advice</h2>")[1]
    assert 'id="verdict"' in dom.split('class="cards"')[0]  # the verdict comes first


@pytest.mark.parametrize(
    ("root", "day", "said"),
    [
        ("gap_root", DAY, "No observations from 02:00 to 05:30 (3.5 h)."),
        ("no_par_root", DAY, "No PAR readings all day (not in source log): no light integral"),
        ("stuck_root", date(2026, 6, 2), "Relative humidity sensor faulty: stuck_at all day"),
        ("heatwave_root", date(2026, 6, 4), "No observations on this day: nothing to draw or to compute."),
    ],
    ids=["gap-of-hours", "no-par-sensor", "sensor-faulty-all-day", "empty-day"],
)
def test_a_bad_day_page_says_what_is_missing(
    root: str, day: date, said: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    report = day_report(request.getfixturevalue(root), day, UTC_ZONE)
    dom = check_in_browser(report, tmp_path, DAY_CHARTS)

    assert said in dom


@pytest.mark.field_data
def test_a_replayed_field_log_gives_a_report_in_the_site_local_day(field_data: Path, tmp_path: Path) -> None:
    # The first four days of the OSU season (the whole season replays in half a minute; one day is the point).
    lines = (field_data / "osu2024_tomato_reference_environment.csv").read_text().splitlines(keepends=True)
    csv = tmp_path / "osu_first_days.csv"
    csv.write_text("".join(lines[: 1 + 4 * 288]))
    imported, root = tmp_path / "osu.jsonl", tmp_path / "osu"
    env = clean_env()
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
        result = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, check=False)
        assert result.returncode == 0, result.stderr[-2000:]
    ohio = resolve_zone(None, "America/New_York")

    report = day_report(root, date(2024, 6, 25), ohio)
    dom = check_in_browser(report, tmp_path, DAY_CHARTS)

    summary = report.summaries[0]
    assert summary.poll_interval_s == 300.0
    assert summary.window.start.utcoffset() is not None and summary.window.start.isoformat().endswith(
        "-04:00"
    )
    # The OSU logger has no PAR or substrate sensor: named once, with what it costs, not once per figure.
    assert summary.notes[0] == (
        "No PAR or substrate moisture readings all day (not in source log): "
        "no light integral, day and night by the clock."
    )
    assert sum("PAR" in note for note in summary.notes) == 1
    assert "America/New_York" in dom
