"""A data root says which run made it; a different run is refused at start (brain-daemon as a user runs it).

The cases are the ones a new user hit (issue 17): a heatwave run into the folder of
``make simulate`` (which said ``nothing_to_do`` and exited 0), a second replayed log
into the folder of the first (skipped whole), two site ids in one folder.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from brain.config import load_settings
from brain.daemon.identity import DataRootConflictError, claim_data_root
from brain.exit_codes import ExitCode
from brain.storage import MANIFEST_NAME
from tests.runs import Run, daemon

SIM = ("--simulate", "--base-cycle", "3600", "--duration-hours", "1")


def _events(run: Run, name: str) -> list[dict[str, Any]]:
    return [event for event in run.log_events() if event["event"] == name]


def test_a_first_run_describes_its_folder_and_a_restart_of_it_resumes(tmp_path: Path) -> None:
    first = daemon(tmp_path, *SIM)
    assert first.returncode == 0, first.stderr
    manifest = first.manifest()
    assert manifest["identity"]["source"] == "synthetic"
    assert manifest["identity"]["seed"] == 42 and manifest["identity"]["scenarios"] == []
    assert manifest["identity"]["timezone"] == "UTC"
    assert manifest["starts"] == 1 and manifest["first_start"]["adopted"] is False
    # A longer duration and another pace are the same run: it resumes where it stopped.
    longer = daemon(tmp_path, *SIM[:-1], "2", "--time-scale", "100000")
    assert longer.returncode == 0, longer.stderr
    assert _events(longer, "resuming_after_stored_data")
    assert len(longer.records("observations")) == 120
    again = longer.manifest()
    assert again["starts"] == 2 and again["first_start"] == manifest["first_start"]
    assert again["details"]["duration_hours"] == 2.0
    assert again["identity"] == manifest["identity"]


def test_a_heatwave_run_into_a_normal_runs_folder_is_refused_saying_what_differs(tmp_path: Path) -> None:
    normal = daemon(tmp_path, *SIM)
    assert normal.returncode == 0
    before = normal.files(), (tmp_path / MANIFEST_NAME).read_bytes()
    heatwave = daemon(tmp_path, *SIM, "--scenario", "heatwave")
    assert heatwave.returncode == ExitCode.CONFIG == 78  # not transient: systemd must not loop on it
    assert 'scenarios: [] in the folder, ["heatwave"] for this run' in heatwave.stderr
    assert str(tmp_path / MANIFEST_NAME) in heatwave.stderr
    assert "new --output-dir" in heatwave.stderr and "--continue-different-run" in heatwave.stderr
    assert (heatwave.files(), (tmp_path / MANIFEST_NAME).read_bytes()) == before, "nothing written"


def test_two_site_ids_in_one_folder_are_refused(tmp_path: Path) -> None:
    assert daemon(tmp_path, *SIM, "--site-id", "north").returncode == 0
    south = daemon(tmp_path, *SIM, "--site-id", "south")
    assert south.returncode == 78
    assert 'site_id: "north" in the folder, "south" for this run' in south.stderr


def test_continuing_a_different_run_deliberately_is_recorded_once(tmp_path: Path) -> None:
    assert daemon(tmp_path, *SIM).returncode == 0
    heatwave = (*SIM[:-1], "2", "--scenario", "heatwave")
    continued = daemon(tmp_path, *heatwave, "--continue-different-run")
    assert continued.returncode == 0, continued.stderr
    changed = _events(continued, "data_root_identity_changed")
    assert changed and changed[0]["level"] == "warning"
    assert changed[0]["changed"] == {"scenarios": {"was": [], "now": ["heatwave"]}}
    assert len(continued.records("observations")) == 120, "the second hour appended"
    manifest = continued.manifest()
    assert manifest["identity"]["scenarios"] == ["heatwave"]
    assert [c["changed"] for c in manifest["identity_changes"]] == [["scenarios"]]
    assert manifest["identity_changes"][0]["previous"]["scenarios"] == []
    # The folder is now the heatwave run's: its restart needs no flag.
    assert daemon(tmp_path, *heatwave).returncode == 0


def test_replaying_another_log_into_a_replays_folder_is_refused_naming_the_first_log(tmp_path: Path) -> None:
    for seed in ("1", "2"):
        assert daemon(tmp_path / f"log{seed}", *SIM, "--seed", seed).returncode == 0
    out = tmp_path / "out"
    first = daemon(out, "--replay", str(tmp_path / "log1"))
    assert first.returncode == 0, first.stderr
    assert first.manifest()["details"]["replay_input"]["path"] == str(tmp_path / "log1")
    other = daemon(out, "--replay", str(tmp_path / "log2"))
    assert other.returncode == 78
    assert f"replay input: another log starts here (the folder replayed {tmp_path / 'log1'})" in other.stderr
    same = daemon(out, "--replay", str(tmp_path / "log1" / "run_20260601"))  # the same log, by its run folder
    assert same.returncode == 0, same.stderr
    assert _events(same, "nothing_to_do")


def test_a_folder_written_by_an_earlier_brain_is_adopted(tmp_path: Path) -> None:
    assert daemon(tmp_path, *SIM).returncode == 0
    (tmp_path / MANIFEST_NAME).unlink()  # as an earlier brain left it
    adopted = daemon(tmp_path, *SIM[:-1], "2")
    assert adopted.returncode == 0, adopted.stderr
    assert _events(adopted, "data_root_adopted")[0]["level"] == "warning"
    assert adopted.manifest()["first_start"]["adopted"] is True
    assert len(adopted.records("observations")) == 120


def test_a_manifest_that_cannot_be_read_stops_the_start(tmp_path: Path) -> None:
    assert daemon(tmp_path, *SIM).returncode == 0
    (tmp_path / MANIFEST_NAME).write_text("{torn")
    run = daemon(tmp_path, *SIM)
    assert run.returncode == 78
    assert "not valid JSON" in run.stderr and str(tmp_path / MANIFEST_NAME) in run.stderr


def _hardware(data_root: Path, **flags: Any) -> Any:
    return load_settings(flags={"source": "hardware", "data_root": data_root, **flags}).settings


def test_a_live_greenhouse_may_change_its_cadence_but_not_its_site(tmp_path: Path) -> None:
    clock = iter([datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC)])
    claim_data_root(_hardware(tmp_path, poll_interval_s=60), now=lambda: next(clock))
    manifest = claim_data_root(
        _hardware(tmp_path, poll_interval_s=30, base_cycle_s=600), now=lambda: next(clock)
    )
    assert manifest["details"]["poll_interval_s"] == 30
    assert manifest["last_start"]["at"] == "2026-06-02T00:00:00+00:00"
    assert json.loads((tmp_path / MANIFEST_NAME).read_text()) == manifest
    with pytest.raises(DataRootConflictError, match="timezone"):
        claim_data_root(_hardware(tmp_path, timezone="Europe/Amsterdam"))
