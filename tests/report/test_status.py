"""``brain status`` on real data roots: what it shows, its verdict, and that it reads only the newest runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from brain.report.days import resolve_zone, site_zone
from brain.report.status import gather_status
from brain.report.status_view import Level, Limits, render_json, render_text, verdict
from brain.uplink.cursor import MQTT_CONSUMER, cursor_path
from tests.runs import clean_env

UTC_ZONE = resolve_zone(None, None)
END_OF_HEATWAVE = datetime(2026, 6, 2, 0, 2, tzinfo=UTC)
"""Two minutes after the simulated day's last observation (23:59)."""


def status_command(*args: str) -> subprocess.CompletedProcess[str]:
    """``brain status ...`` in a fresh process, as a monitoring plugin runs it."""
    return subprocess.run(
        [sys.executable, "-m", "brain.cli", "status", *args],
        capture_output=True, text=True, env=clean_env(), timeout=60, check=False,
    )  # fmt: skip


def test_a_fresh_normal_folder_shows_state_sensors_and_a_complete_yesterday(normal_root: Path) -> None:
    status = gather_status(normal_root, END_OF_HEATWAVE, UTC_ZONE)
    level, problems = verdict(status, Limits())
    text = render_text(status, level, problems)

    assert status.latest_observation is not None
    assert status.latest_observation.timestamp == datetime(2026, 6, 1, 23, 59, tzinfo=UTC)
    assert status.poll_interval_s == 60.0
    assert status.latest_state is not None and status.latest_state.timestamp.hour == 23
    assert [line.installed for line in status.sensors] == [True] * 5
    assert level is Level.OK and problems == []
    assert "Latest observation  01 Jun 23:59 (3 min ago), every 60 s" in text
    assert "Made by             source=synthetic" in text and "site_id=greenhouse-1" in text
    assert "first start" in text and "starts=1" in text


def cut_at(source: Path, root: Path, moment: datetime) -> Path:
    """A copy of ``source`` as the daemon had written it by ``moment``: every line after it left out."""
    for path in source.glob("run_*/*.jsonl"):
        kept = [
            line
            for line in path.read_text().splitlines(keepends=True)
            if datetime.fromisoformat(json.loads(line)["timestamp"]) <= moment
        ]
        (root / path.parent.name).mkdir(parents=True, exist_ok=True)
        (root / path.parent.name / path.name).write_text("".join(kept))
    return root


def test_an_open_critical_anomaly_is_critical_with_its_start_and_peak(
    heatwave_root: Path, tmp_path: Path
) -> None:
    # 15:30 on the heatwave day: the heat episode (temperature_high with vpd_high, one family
    # episode since issue 28) began as a warning at 10:35 and has been critical since 13:09 (the
    # escalation is a record within it, not a new start).
    now = datetime(2026, 6, 1, 15, 30, tzinfo=UTC)
    status = gather_status(cut_at(heatwave_root, tmp_path / "data", now), now, UTC_ZONE)
    level, problems = verdict(status, Limits())
    document = render_json(status, level, problems)

    assert level is Level.CRITICAL and document["exit_code"] == 2
    assert "critical anomaly open: temperature high" in problems
    heat = next(
        a
        for a in document["open_anomalies"]
        if a["kind"] == "temperature_high" and a["severity"] == "critical"
    )
    assert heat["started_at"] == "2026-06-01T10:35:00+00:00"
    assert not [a for a in document["open_anomalies"] if a["kind"] == "vpd_high"], "one episode, not two"
    states = [
        json.loads(line)
        for line in next((tmp_path / "data").glob("run_*/state.0000.jsonl")).read_text().splitlines()
    ]
    peak = max(s["air_temperature_c"] for s in states if s["timestamp"] >= "2026-06-01T10:35")
    assert heat["peak"] == peak
    assert "since 10:35 (4 h 55 min)" in render_text(status, level, problems)
    assert f"peak {heat['peak']:.1f} °C (threshold 35 °C)" in render_text(status, level, problems)


def test_a_stale_feed_is_warning_then_critical(normal_root: Path) -> None:
    ten_minutes = gather_status(normal_root, datetime(2026, 6, 2, 0, 9, tzinfo=UTC), UTC_ZONE)
    an_hour = gather_status(normal_root, datetime(2026, 6, 2, 1, 0, tzinfo=UTC), UTC_ZONE)

    assert verdict(ten_minutes, Limits()) == (Level.WARNING, ["newest observation is 10 min old"])
    assert verdict(an_hour, Limits())[0] is Level.CRITICAL


def test_a_faulty_installed_sensor_is_a_warning_with_its_since(stuck_root: Path) -> None:
    status = gather_status(stuck_root, datetime(2026, 6, 3, 0, 1, tzinfo=UTC), UTC_ZONE)
    level, problems = verdict(status, Limits())
    text = render_text(status, level, problems)

    assert level is Level.WARNING
    assert problems == ["relative humidity sensor faulty (stuck_at)"]
    assert "relative humidity   faulty: stuck_at       since 01 Jun 12:" in text


def test_a_sensor_that_never_gave_a_value_is_not_a_fault(no_par_root: Path) -> None:
    status = gather_status(no_par_root, datetime(2026, 6, 2, 0, 1, tzinfo=UTC), UTC_ZONE)

    par = next(line for line in status.sensors if line.sensor.value == "par_umol_m2_s")
    assert par.installed is False
    assert "PAR                 no readings (not installed?)" in render_text(status, Level.OK, [])


def test_exit_codes_are_the_monitoring_plugin_ones(
    normal_root: Path, heatwave_root: Path, tmp_path: Path
) -> None:
    ok = status_command(str(normal_root), "--at", "2026-06-02T00:02:00+00:00")
    critical = status_command(str(normal_root), "--at", "2026-06-03T00:00:00+00:00")
    missing = status_command(str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    empty = status_command(str(tmp_path / "empty"), "--json")
    bad_option = status_command(str(heatwave_root), "--warn-age", "soon")
    unknown_option = status_command(str(heatwave_root), "--bogus")

    assert (ok.returncode, critical.returncode, missing.returncode, empty.returncode) == (0, 2, 3, 3)
    assert bad_option.returncode == unknown_option.returncode == 3, "a usage error must not read as CRITICAL"
    assert ok.stdout.startswith("brain status OK:")
    assert "newest observation is 24 h 1 min old" in critical.stdout
    assert json.loads(empty.stdout)["level"] == "UNKNOWN"


def test_status_reads_only_the_newest_folders(normal_root: Path, tmp_path: Path) -> None:
    """Run folders older than three days hold FIFOs: opening one would block, so none may be opened."""
    root = tmp_path / "data"
    shutil.copytree(normal_root, root)
    for day in range(1, 30):
        old = root / f"run_202605{day:02d}"
        old.mkdir()
        for stream in ("observations", "state", "anomalies", "sensor_health", "device_status"):
            os.mkfifo(old / f"{stream}.0000.jsonl")
    (root / "run_20260530.deleting").mkdir()  # and an entry that is not a run

    result = status_command(str(root), "--at", "2026-06-02T00:02:00+00:00", "--json")

    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["latest_observation"] == "2026-06-01T23:59:00+00:00"


def test_manifest_zone_and_uplink_lag_are_shown(heatwave_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(heatwave_root, root)
    manifest = json.loads((root / "manifest.json").read_text())  # the one the daemon wrote
    manifest["identity"]["timezone"] = "Europe/Amsterdam"
    (root / "manifest.json").write_text(json.dumps(manifest))
    # An uplink that has had the broker acknowledge the observations up to 22:59 (its cursor file,
    # written as brain.uplink.cursor.CursorStore writes it), and nothing of the state stream yet.
    cursor = cursor_path(root, MQTT_CONSUMER, "observations")
    cursor.parent.mkdir()
    part = "run_20260601/observations.0000.jsonl"
    delivered = (root / part).read_bytes().split(b"\n")[:1380]  # 00:00 to 22:59
    cursor.write_text(
        json.dumps(
            {
                "format": 1,
                "stream": "observations",
                "epoch": "0123456789ab",
                "next_seq": 1380,
                "files": {part: {"offset": sum(len(line) + 1 for line in delivered), "lines": 1380}},
                "last_timestamp": "2026-06-01T22:59:00+00:00",
                "updated_at": "2026-06-01T23:00:00+00:00",
            }
        )
    )

    zone = site_zone(root, "UTC")
    status = gather_status(root, END_OF_HEATWAVE, zone)
    level, problems = verdict(status, Limits())
    text = render_text(status, level, problems)

    assert zone.name == "Europe/Amsterdam" and zone.origin == "manifest"
    assert "as of 2026-06-02 02:02 Europe/Amsterdam (zone from the manifest)" in text
    assert "Uplink              observations: 60 min behind" in text
    assert "Made by             source=synthetic" in text
    assert "timezone=Europe/Amsterdam" in text
    assert "Uplink              state: lag unknown (nothing sent yet)" in text
    assert "as of 2026-06-02 02:02 Europe/Amsterdam" in text


@pytest.mark.parametrize("flag", ["--help"])
def test_help_says_these_are_not_brains_usual_exit_codes(flag: str) -> None:
    result = status_command(flag)

    assert result.returncode == 0
    assert "monitoring-plugin convention" in result.stdout
    assert "3 UNKNOWN" in result.stdout


def test_a_folder_without_a_readable_manifest_says_so(heatwave_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(heatwave_root, root)
    for content in (None, "{not json"):
        if content is None:
            (root / "manifest.json").unlink()
        else:
            (root / "manifest.json").write_text(content)
        status = gather_status(root, END_OF_HEATWAVE, UTC_ZONE)
        text = render_text(status, *verdict(status, Limits()))
        assert "Made by             unknown (no manifest.json)" in text
