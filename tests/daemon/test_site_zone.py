"""A replayed log is cut into its site's local days: the zone travels with the log (sidecar or manifest).

``brain import-csv`` and ``brain-daemon --replay`` run as a user runs them. The small
log is written here (US Eastern, so the test runs everywhere); the OSU field log is
used too where ``../shared`` is present.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import structlog

from brain.config import LoadedSettings, load_settings
from brain.daemon.site_zone import with_site_zone
from brain.errors import ConfigError
from brain.exit_codes import ExitCode
from tests.runs import Run, daemon, run_process

TOOLS = ("-c", "import sys; from brain.cli import tools_main; sys.exit(tools_main())")
EASTERN_MAPPING = """
site_id = "ohio-test"
timezone = "America/New_York"
timestamp_column = "time"
timestamp_format = "%Y-%m-%d %H:%M"

[sensors]
air_temperature_c = { column = "temp" }
relative_humidity_pct = { column = "rh" }
"""
LOCAL_TIMES = [
    "2024-06-24 22:30",
    "2024-06-24 23:00",
    "2024-06-24 23:30",
    "2024-06-25 00:00",
    "2024-06-25 00:30",
]
"""EDT (UTC-4): 23:30 local is 03:30 UTC on the 25th, which a UTC calendar files under the 25th."""


def _import(tmp_path: Path) -> tuple[Path, Run]:
    mapping = tmp_path / "ohio.toml"
    mapping.write_text(EASTERN_MAPPING)
    csv_path = tmp_path / "ohio.csv"
    csv_path.write_text("time,temp,rh\n" + "".join(f"{t},24.0,70\n" for t in LOCAL_TIMES))
    log = tmp_path / "ohio.jsonl"
    imported = run_process(
        [*TOOLS, "import-csv", str(csv_path), "--mapping", str(mapping), "--output", str(log)], tmp_path
    )
    return log, imported


def _days(run: Run) -> dict[str, list[str]]:
    """Run directory -> the UTC timestamps of the observations in it."""
    days: dict[str, list[str]] = {}
    for path in sorted(run.data_root.glob("run_*/observations.*.jsonl")):
        days[path.parent.name] = [json.loads(line)["timestamp"] for line in path.read_text().splitlines()]
    return days


def test_an_imported_log_is_replayed_in_its_sites_local_days(tmp_path: Path) -> None:
    log, imported = _import(tmp_path)
    assert imported.returncode == 0, imported.stderr
    sidecar = tmp_path / "ohio.jsonl.meta.json"
    assert f"site time zone America/New_York kept for replays in {sidecar}" in imported.stdout
    meta = json.loads(sidecar.read_text())
    assert meta["timezone"] == "America/New_York" and meta["site_id"] == "ohio-test"
    assert meta["mapping"] == str(tmp_path / "ohio.toml") and meta["observations"] == 5
    replayed = daemon(tmp_path / "out", "--replay", str(log))
    assert replayed.returncode == 0, replayed.stderr
    assert _days(replayed) == {
        "run_20240624": ["2024-06-25T02:30:00Z", "2024-06-25T03:00:00Z", "2024-06-25T03:30:00Z"],
        "run_20240625": ["2024-06-25T04:00:00Z", "2024-06-25T04:30:00Z"],
    }
    told = [e for e in replayed.log_events() if e["event"] == "replay_timezone_from_input"]
    assert told and told[0]["timezone"] == "America/New_York" and told[0]["told_by"] == str(sidecar)
    identity = replayed.manifest()["identity"]
    assert (identity["timezone"], identity["site_id"]) == ("America/New_York", "ohio-test"), "the log's own"


def test_a_zone_set_explicitly_wins_and_the_difference_is_logged(tmp_path: Path) -> None:
    log, imported = _import(tmp_path)
    assert imported.returncode == 0, imported.stderr
    replayed = daemon(tmp_path / "out", "--replay", str(log), env={"BRAIN_TIMEZONE": "UTC"})
    assert replayed.returncode == 0, replayed.stderr
    assert sorted(_days(replayed)) == ["run_20240625"], "UTC days, as asked"
    overridden = [e for e in replayed.log_events() if e["event"] == "replay_timezone_overridden"]
    assert overridden and overridden[0]["level"] == "warning"
    assert (overridden[0]["timezone"], overridden[0]["input_timezone"]) == ("UTC", "America/New_York")
    assert replayed.manifest()["identity"]["timezone"] == "UTC"


def test_a_replayed_data_root_keeps_the_days_of_the_zone_it_was_written_in(tmp_path: Path) -> None:
    # A UTC midnight start (the default is the zone's own midnight): its folder differs by zone.
    sim = (
        "--simulate",
        "--start",
        "2026-06-01T00:00:00+00:00",
        "--duration-hours",
        "2",
        "--base-cycle",
        "3600",
    )
    original = daemon(tmp_path / "sim", *sim, env={"BRAIN_TIMEZONE": "America/New_York"})
    assert original.returncode == 0, original.stderr
    assert sorted(_days(original)) == ["run_20260531"], "00:00 UTC is 20:00 EDT the day before"
    replayed = daemon(tmp_path / "out", "--replay", str(tmp_path / "sim"))
    assert replayed.returncode == 0, replayed.stderr
    assert _days(replayed) == _days(original)


def _import_osu(field_data: Path, tmp_path: Path, days: set[str] | None = None) -> Path:
    """The OSU log imported as a user imports it; ``days``: only the rows of these local days."""
    log = tmp_path / "osu.jsonl"
    csv_path = field_data / "osu2024_tomato_reference_environment.csv"
    if days is not None:  # the log's rows start with their local date and time (README)
        lines = csv_path.read_text().splitlines(keepends=True)
        csv_path = tmp_path / "osu.csv"
        csv_path.write_text(lines[0] + "".join(line for line in lines[1:] if line[:10] in days))
    imported = run_process(
        [*TOOLS, "import-csv", str(csv_path), "--mapping", "osu2024", "--output", str(log)], tmp_path
    )
    assert imported.returncode == 0, imported.stderr
    return log


@pytest.mark.field_data
def test_the_osu_logs_first_fall_back_and_last_days_are_replayed_in_ohio_days(
    field_data: Path, tmp_path: Path
) -> None:
    """The whole season's cheaper twin: three local days of the log (first, fall-back's 25 h, last)."""
    log = _import_osu(field_data, tmp_path, days={"2024-06-24", "2024-11-03", "2024-11-15"})
    assert json.loads(log.with_name(log.name + ".meta.json").read_text())["timezone"] == "America/New_York"
    replayed = daemon(tmp_path / "out", "--replay", str(log))
    assert replayed.returncode == 0, replayed.stderr
    days = _days(replayed)
    assert sorted(days) == ["run_20240624", "run_20241103", "run_20241115"]
    assert days["run_20240624"][-1] == "2024-06-25T03:55:00Z"  # 23:55 EDT
    assert days["run_20241103"][0] == "2024-11-03T04:00:00Z"  # 00:00 EDT
    fall_back = days["run_20241103"]
    assert {"2024-11-03T05:00:00Z", "2024-11-03T06:00:00Z"} <= set(fall_back)  # 01:00 EDT, then 01:00 EST
    assert fall_back[-1] == "2024-11-04T03:55:00Z"  # 22:55 EST: the log lacks that day's 23:00 hour (README)
    assert days["run_20241115"][-1] == "2024-11-16T04:55:00Z"  # 23:55 EST, after the fall-back


@pytest.mark.slow
@pytest.mark.field_data
def test_the_osu_log_is_replayed_in_ohio_days(field_data: Path, tmp_path: Path) -> None:
    log = _import_osu(field_data, tmp_path)
    replayed = daemon(tmp_path / "out", "--replay", str(log), timeout=300)
    assert replayed.returncode == 0, replayed.stderr
    days = _days(replayed)
    # The log runs from 2024-06-24 00:00 EDT to 2024-11-15 23:55 EST (README), so 145 local days.
    assert (len(days), min(days), max(days)) == (145, "run_20240624", "run_20241115")
    assert days["run_20240624"][-1] == "2024-06-25T03:55:00Z"  # 23:55 EDT
    assert days["run_20241115"][-1] == "2024-11-16T04:55:00Z"  # 23:55 EST, after the fall-back


def _hardware(tmp_path: Path, env: dict[str, str] | None = None, toml: str = "") -> LoadedSettings:
    config = tmp_path / "brain.toml"
    config.write_text(f'source = "hardware"\ndata_root = "{tmp_path / "data"}"\n{toml}')
    with pytest.MonkeyPatch.context() as patch:
        for key in [key for key in os.environ if key.startswith("BRAIN_")]:
            patch.delenv(key)
        for key, value in (env or {}).items():
            patch.setenv(key, value)
        return load_settings(config)


def _zone_link(tmp_path: Path, target: str) -> Path:
    link = tmp_path / "localtime"
    link.symlink_to(target)
    return link


def test_hardware_mode_takes_the_systems_zone_when_none_is_set_and_says_so(tmp_path: Path) -> None:
    link = _zone_link(tmp_path, "/usr/share/zoneinfo/America/New_York")
    with structlog.testing.capture_logs() as logs:
        chosen = with_site_zone(_hardware(tmp_path), localtime=link)
    assert chosen.settings.timezone == "America/New_York"
    assert chosen.origins["timezone"] == f"system {link}"
    assert {
        "event": "site_timezone",
        "timezone": "America/New_York",
        "told_by": f"system {link}",
    }.items() <= (logs[-1].items())


def test_hardware_mode_keeps_a_zone_set_in_the_file_and_says_where_from(tmp_path: Path) -> None:
    link = _zone_link(tmp_path, "/usr/share/zoneinfo/America/New_York")
    with structlog.testing.capture_logs() as logs:
        chosen = with_site_zone(_hardware(tmp_path, toml='timezone = "Europe/Amsterdam"\n'), localtime=link)
    assert chosen.settings.timezone == "Europe/Amsterdam"
    assert logs[-1]["event"] == "site_timezone" and logs[-1]["timezone"] == "Europe/Amsterdam"


@pytest.mark.parametrize("target", [None, "/nowhere/Europe/Amsterdam", "/usr/share/zoneinfo/Not/AZone"])
def test_hardware_mode_without_a_zone_refuses_with_the_hint(tmp_path: Path, target: str | None) -> None:
    link = tmp_path / "localtime" if target is None else _zone_link(tmp_path, target)
    with pytest.raises(ConfigError) as refused:
        with_site_zone(_hardware(tmp_path), localtime=link)
    assert refused.value.key == "timezone"
    assert "BRAIN_TIMEZONE" in str(refused.value) and "timedatectl" in str(refused.value)


def test_a_replay_or_simulation_needs_no_site_zone(tmp_path: Path) -> None:
    loaded = _hardware(tmp_path, env={"BRAIN_SOURCE": "synthetic"})
    assert with_site_zone(loaded, localtime=tmp_path / "none") is loaded


def test_the_daemon_refuses_to_start_without_a_zone_exit_78(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The refusal as the daemon reports it: a ConfigError from the start is exit 78 (sysexits)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            "brain.daemon.site_zone.with_site_zone.__kwdefaults__", {"localtime": tmp_path / "no-localtime"}
        )
        from brain.cli.brain_daemon import daemon_main

        config = tmp_path / "brain.toml"
        config.write_text(f'source = "hardware"\ndata_root = "{tmp_path / "data"}"\n')
        for key in [key for key in os.environ if key.startswith("BRAIN_")]:
            patch.delenv(key)
        assert daemon_main(["--config", str(config)]) == ExitCode.CONFIG
    assert "time zone" in capsys.readouterr().err
