"""brain-daemon as a user and systemd run it: real processes, real signals, real sockets."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

from brain.contracts import ObservationV1
from tests.daemon.cuts import cut_after_observation
from tests.runs import DAEMON, clean_env, daemon, notify_server

SIM = ("--simulate", "--base-cycle", "3600")


def test_replaying_a_run_reproduces_its_estimates_byte_for_byte(tmp_path: Path) -> None:
    original = daemon(tmp_path / "sim", *SIM, "--duration-hours", "12", "--scenario", "heatwave")
    assert original.returncode == 0, original.stderr
    replayed = daemon(tmp_path / "replay", "--replay", str(tmp_path / "sim"), "--base-cycle", "3600")
    assert replayed.returncode == 0, replayed.stderr
    a, b = original.files(), replayed.files()
    for stream in ("state", "anomalies", "sensor_health"):
        name = f"run_20260601/{stream}.0000.jsonl"
        assert name in a and a[name] == b[name], stream
    assert len(replayed.records("observations")) == 12 * 60


def test_restart_on_the_same_data_root_resumes_without_duplicates(tmp_path: Path) -> None:
    first = daemon(tmp_path, *SIM, "--duration-hours", "3")
    second = daemon(tmp_path, *SIM, "--duration-hours", "5")
    third = daemon(tmp_path, *SIM, "--duration-hours", "5")
    assert first.returncode == second.returncode == third.returncode == 0
    stamps = [o["timestamp"] for o in second.records("observations")]
    assert len(stamps) == len(set(stamps)) == 5 * 60
    assert stamps == sorted(stamps)
    assert any(e["event"] == "resuming_after_stored_data" for e in second.log_events())
    assert any(e["event"] == "nothing_to_do" for e in third.log_events())


def test_config_error_exits_78_naming_key_and_file(tmp_path: Path) -> None:
    bad = tmp_path / "brain.toml"
    bad.write_text('source = "synthetic"\n[storage]\nfsync = "sometimes"\n')
    run = daemon(tmp_path / "data", "--config", str(bad))
    assert run.returncode == 78
    assert "storage.fsync" in run.stderr and str(bad) in run.stderr
    assert not (tmp_path / "data").exists(), "nothing may start before the configuration is valid"


def test_usage_error_exits_2(tmp_path: Path) -> None:
    run = daemon(tmp_path, "--simulate", "--replay", "x")
    assert run.returncode == 2
    assert "not allowed with" in run.stderr


def test_fail_fast_replay_of_a_bad_line_exits_1(tmp_path: Path) -> None:
    sim = daemon(tmp_path / "sim", *SIM, "--duration-hours", "1")
    assert sim.returncode == 0
    path = next((tmp_path / "sim").glob("run_*/observations.0000.jsonl"))
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:10]) + "{not json\n" + "".join(lines[10:]))
    config = tmp_path / "replay.toml"
    config.write_text('[replay]\non_malformed = "fail"\n')
    run = daemon(tmp_path / "out", "--replay", str(path), "--config", str(config))
    assert run.returncode == 1
    assert f"{path}" in run.stdout + run.stderr and ":11" in (run.stdout + run.stderr).replace(
        " line=11", ":11"
    )
    skipped = daemon(tmp_path / "out2", "--replay", str(path))
    assert skipped.returncode == 0
    assert len(skipped.records("observations")) == 60


def test_sigterm_finishes_the_poll_flushes_and_exits_0(tmp_path: Path) -> None:
    notify_path = tmp_path / "notify.sock"
    server = notify_server(notify_path)
    env = clean_env(NOTIFY_SOCKET=str(notify_path))
    # 600x: one simulated minute every 0.1 s, so the run would take 2.4 minutes of wall time.
    proc = subprocess.Popen(
        [
            sys.executable,
            *DAEMON,
            *SIM,
            "--time-scale",
            "600",
            "--output-dir",
            str(tmp_path / "data"),
            "--log-format",
            "json",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        messages = [server.recv(4096).decode()]
        assert messages[0].startswith("READY=1")
        while sum("last poll 2026" in m for m in messages) < 2:  # two polls stored
            messages.append(server.recv(4096).decode())
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
        while "STOPPING=1" not in messages[-1]:
            messages.append(server.recv(4096).decode())
    finally:
        proc.kill()
        server.close()
    assert proc.returncode == 0, err
    assert any(m == "WATCHDOG=1" for m in messages)
    assert '"stop_requested"' in out and '"SIGTERM"' in out
    observations = next((tmp_path / "data").glob("run_*/observations.0000.jsonl")).read_bytes()
    assert observations.endswith(b"\n") and observations.count(b"\n") >= 2
    for line in observations.splitlines():
        ObservationV1.model_validate_json(line)


def test_a_poll_cut_between_its_writes_is_completed_at_restart(tmp_path: Path) -> None:
    args = (*SIM, "--duration-hours", "18", "--scenario", "heatwave")
    whole = daemon(tmp_path / "whole", *args)
    assert whole.returncode == 0, whole.stderr
    starts = [a["timestamp"] for a in whole.records("anomalies") if a["ended_at"] is None]
    assert starts, "the heatwave must start an anomaly to cut"
    shutil.copytree(tmp_path / "whole", tmp_path / "cut")
    cut_after_observation(tmp_path / "cut", starts[0])
    resumed = daemon(tmp_path / "cut", *args)
    assert resumed.returncode == 0, resumed.stderr
    completed = [e for e in resumed.log_events() if e["event"] == "cut_poll_completed"]
    assert len(completed) == 1 and completed[0]["records"] >= 7  # the anomaly, the state, 5 health records
    assert resumed.files() == whole.files(), "nothing lost, nothing twice: the same bytes as an uncut run"


def test_a_cut_poll_before_a_gap_gets_the_state_its_base_cycle_would_have_stored(tmp_path: Path) -> None:
    # A replayed log missing 00:59-01:02: the uncut run stores the 00:58 state at the 01:00 base cycle.
    simulated = daemon(tmp_path / "sim", *SIM, "--duration-hours", "2")
    assert simulated.returncode == 0, simulated.stderr
    lines = next((tmp_path / "sim").glob("run_*/observations.0000.jsonl")).read_text().splitlines(True)
    gapped = tmp_path / "gapped.jsonl"
    gapped.write_text("".join(line for i, line in enumerate(lines) if not 59 <= i <= 62))
    replay = ("--replay", str(gapped), "--base-cycle", "3600")
    whole = daemon(tmp_path / "whole", *replay)
    assert whole.returncode == 0, whole.stderr
    assert "2026-06-01T00:58:00Z" in [s["timestamp"] for s in whole.records("state")]
    shutil.copytree(tmp_path / "whole", tmp_path / "cut")
    cut_after_observation(tmp_path / "cut", "2026-06-01T00:58:00Z")
    resumed = daemon(tmp_path / "cut", *replay)
    assert resumed.returncode == 0, resumed.stderr
    completed = [e for e in resumed.log_events() if e["event"] == "cut_poll_completed"]
    assert len(completed) == 1 and completed[0]["records"] == 6  # the state and its 5 health records
    assert resumed.files() == whole.files()
