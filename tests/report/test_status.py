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
from tests.runs import DAEMON, clean_env

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


def judged(root: Path, now: datetime) -> dict[str, object]:
    """What ``brain status --json`` says of ``root`` at ``now``, without the facts of the folder itself."""
    zone = site_zone(root, None)
    status = gather_status(root, now, zone)
    document = render_json(status, *verdict(status, Limits()))
    for key in ("data_root", "disk", "manifest"):
        document.pop(key)
    return document


@pytest.mark.parametrize("hour", [6, 12.5, 15.5, 21])
def test_at_judges_the_records_up_to_that_time_as_a_folder_cut_there(
    heatwave_root: Path, tmp_path: Path, hour: float
) -> None:
    now = datetime(2026, 6, 1, int(hour), int(hour % 1 * 60), tzinfo=UTC)
    cut = cut_at(heatwave_root, tmp_path / "cut", now)
    shutil.copy(heatwave_root / "manifest.json", cut / "manifest.json")

    assert judged(heatwave_root, now) == judged(cut, now)
    if hour == 15.5:  # the case: CRITICAL was open at 15:30, not the evening's WARNING
        document = judged(heatwave_root, now)
        assert document["level"] == "CRITICAL" and document["latest_observation"] == now.isoformat()
        assert document["observations_today"] == 931 and document["expected_today"] == 930


@pytest.mark.field_data
def test_at_on_the_osu_season_sees_the_temperature_warning_open_then(
    field_data: Path, tmp_path: Path
) -> None:
    lines = (field_data / "osu2024_tomato_reference_environment.csv").read_text().splitlines(keepends=True)
    csv = tmp_path / "osu.csv"
    csv.write_text("".join(lines[: 1 + 11 * 288]))  # 2024-06-24 to 07-04, five-minute rows
    root = tmp_path / "osu"
    for args in (
        [
            "-m",
            "brain.cli",
            "import-csv",
            "--mapping",
            "osu2024",
            "--output",
            str(tmp_path / "o.jsonl"),
            str(csv),
        ],
        [*DAEMON, "--replay", str(tmp_path / "o.jsonl"), "--time-scale", "0", "--output-dir", str(root)],
    ):
        result = subprocess.run(
            [sys.executable, *args], capture_output=True, text=True, env=clean_env(), check=False
        )
        assert result.returncode == 0, result.stderr[-2000:]
    now = datetime(2024, 7, 3, 20, 0, tzinfo=UTC)
    cut = cut_at(root, tmp_path / "cut", now)
    shutil.copy(root / "manifest.json", cut / "manifest.json")

    full = status_command(str(root), "--at", "2024-07-03T20:00Z", "--json")
    document = json.loads(full.stdout)
    assert full.returncode == 1 and "warning anomaly open: temperature high" in document["problems"]
    assert document["latest_observation"] == "2024-07-03T20:00:00+00:00"
    assert judged(root, now) == judged(cut, now)


def test_a_finished_simulation_is_judged_at_its_end_and_says_so(heatwave_root: Path) -> None:
    result = status_command(str(heatwave_root))
    as_json = json.loads(status_command(str(heatwave_root), "--json").stdout)

    assert result.returncode == 1, result.stdout  # the evening's warning, not "186 days old"
    assert "as of 2026-06-01 23:59 UTC" in result.stdout
    assert "a finished simulation (its manifest says so)" in result.stdout and "--at TIME" in result.stdout
    assert "old" not in "".join(as_json["problems"]) and as_json["finished_run"] == "simulation"


def test_a_stalled_live_source_is_not_taken_for_a_finished_run(heatwave_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(heatwave_root, root)
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["identity"]["source"] = "hardware"
    (root / "manifest.json").write_text(json.dumps(manifest))

    result = status_command(str(root))

    assert result.returncode == 2 and "days old" in result.stdout and "finished" not in result.stdout


def test_hostile_parts_neither_hang_nor_balloon_nor_crash_it(heatwave_root: Path, tmp_path: Path) -> None:
    """A FIFO part, a part linked to /dev/zero, a torn tail, a non-ISO uplink cursor: same verdict, exit 1."""
    root = tmp_path / "data"
    shutil.copytree(heatwave_root, root)
    run = root / "run_20260601"
    os.mkfifo(run / "state.0001.jsonl")  # the newest state part: opening it for reading would block
    (run / "sensor_health.0001.jsonl").symlink_to("/dev/zero")  # would never end
    with (run / "observations.0000.jsonl").open("ab") as torn:
        torn.write(b'{"schema_version":"1.0","timestamp":"2026-06-02T00:0')  # what a power cut leaves
    cursor = cursor_path(root, MQTT_CONSUMER, "observations")
    cursor.parent.mkdir()
    cursor.write_text(json.dumps({"format": 1, "last_timestamp": "yesterday", "updated_at": 12}))
    at = "2026-06-02T00:02:00+00:00"

    text = status_command(str(root), "--at", at)
    as_json = status_command(str(root), "--at", at, "--json")

    assert (text.returncode, as_json.returncode) == (1, 1), text.stdout + text.stderr
    assert as_json.stderr == "" and text.stderr == ""
    document = json.loads(as_json.stdout)  # nothing but the document on stdout
    assert document["latest_observation"] == "2026-06-01T23:59:00+00:00"
    assert document["latest_state"]["timestamp"] == "2026-06-01T23:45:00Z"
    assert [s["status"] for s in document["sensors"]] == ["ok"] * 5
    assert {"stream": "observations", "lag_s": None, "lost_parts": 0, "lost_bytes": 0} in document["uplink"]
    assert "Uplink              observations: lag unknown (mqtt.observations.cursor.json: last_timestamp" in (
        text.stdout
    )


def test_control_characters_in_the_data_root_are_shown_not_obeyed(
    heatwave_root: Path, tmp_path: Path
) -> None:
    root = tmp_path / "data"
    shutil.copytree(heatwave_root, root)
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["identity"]["site_id"] = "gh\x1b]0;pwned\x07\x1b[2J\nbrain status OK: fake"
    (root / "manifest.json").write_text(json.dumps(manifest))
    cursor = cursor_path(root, MQTT_CONSUMER, "x\x1b[31m")
    cursor.parent.mkdir()
    cursor.write_text("{}")

    result = status_command(str(root), "--at", "2026-06-02T00:02:00+00:00")

    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "site_id=gh\\x1b]0;pwned\\x07\\x1b[2J\\x0abrain status OK: fake" in result.stdout
    assert "Uplink              x\\x1b[31m: " in result.stdout
    assert [line for line in result.stdout.splitlines() if line.startswith("brain status")] == [
        f"brain status WARNING: {root}"
    ]


def test_the_names_status_reads_without_importing_them_are_the_writers() -> None:
    """brain status reads the manifest and the cursors without importing brain.storage or brain.uplink."""
    from brain.report import folder, uplink_cursors
    from brain.storage import manifest
    from brain.uplink import cursor

    assert (
        folder.MANIFEST_VERSION == manifest.MANIFEST_VERSION
        and folder.MANIFEST_NAME == manifest.MANIFEST_NAME
    )
    assert uplink_cursors.CURSOR_DIR == cursor.CURSOR_DIR
    path = cursor.cursor_path(Path("/r"), cursor.MQTT_CONSUMER, "state")
    assert path == Path(
        "/r", uplink_cursors.CURSOR_DIR, f"{uplink_cursors.MQTT_PREFIX}state{uplink_cursors.CURSOR_SUFFIX}"
    )
