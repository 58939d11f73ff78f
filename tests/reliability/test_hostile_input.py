"""Hostile replay input: times brain cannot schedule, input with nothing in it, files that are not files.

Each case runs ``brain-daemon --replay`` as a process on real files, as an analyst
would, and judges it from outside: exit status, stderr, JSON log, data root. Issue 16
items 4 and 6, issue 17 item 3; what each proves and its last result are in
docs/reliability.md, "Hostile input".
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from brain.exit_codes import ExitCode
from brain.storage import MAX_LINE_BYTES, MAX_LOGGED_MALFORMED
from tests.reliability.drill import MEASURED, start_daemon, validate_data_root
from tests.runs import Run, clean_env, daemon, wait_until

YEAR_1 = "0001-01-01T00:00:00+05:00"
YEAR_9999 = "9999-12-31T23:59:00-05:00"
IN_2031 = "2031-03-01T12:00:00+00:00"


def _stamped(line: bytes, timestamp: str) -> bytes:
    return json.dumps(json.loads(line) | {"timestamp": timestamp}).encode()


def _write(path: Path, lines: list[bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def _times(lines: list[bytes]) -> list[datetime]:
    return [datetime.fromisoformat(json.loads(line)["timestamp"]) for line in lines]


def _dropped(run: Run) -> list[tuple[str, int, str]]:
    return [
        (e["file"], e["line"], e["reason"])
        for e in run.log_events()
        if e["event"] == "replay_observation_dropped"
    ]


def test_extreme_and_far_future_times_are_reported_and_every_other_record_replayed(
    tmp_path: Path, simulated_lines: list[bytes]
) -> None:
    # Year 1 first (crashed the clock), 2031 amid 2026 (dropped the rest of the replay),
    # year 9999 last (burnt minutes of CPU, then crashed the scheduler).
    good = simulated_lines[:120]
    lines = [
        _stamped(good[0], YEAR_1),
        *good[:60],
        _stamped(good[0], IN_2031),
        *good[60:],
        _stamped(good[0], YEAR_9999),
    ]
    replay = _write(tmp_path / "observations.0000.jsonl", lines)
    began = time.monotonic()
    run = daemon(tmp_path / "out", "--replay", str(replay), timeout=60)
    seconds = time.monotonic() - began
    assert run.returncode == 0, run.stderr
    assert _dropped(run) == [
        (str(replay), 1, "outside_schedulable_range"),
        (str(replay), 62, "unconfirmed_jump"),
        (str(replay), 123, "outside_schedulable_range"),
    ]
    written = validate_data_root(run.data_root)["observations"]
    assert [o.timestamp for o in written] == _times(good)  # type: ignore[attr-defined]
    assert sorted(p.name for p in run.data_root.glob("run_*")) == [
        "run_20260601"
    ]  # no run_10101, no run_99991231
    assert seconds < 20, f"{seconds:.1f} s"
    print(f"extreme times: 3 reported, {len(written)} records replayed, {seconds:.1f} s")


def test_a_simulation_outside_the_range_is_refused(tmp_path: Path) -> None:
    """As a flag, a usage error (2) naming the flag; in a configuration file, a configuration error (78)."""
    config = tmp_path / "far.toml"
    for start in (YEAR_1, "9999-12-31T00:00:00+00:00"):
        run = daemon(tmp_path / "out", "--simulate", "--start", start)
        assert run.returncode == ExitCode.USAGE, run.stderr
        assert "argument --start" in run.stderr and "schedulable range" in run.stderr
        config.write_text(f'[simulation]\nstart = "{start}"\n')
        run = daemon(tmp_path / "out", "--simulate", "--config", str(config))
        assert run.returncode == ExitCode.CONFIG, run.stderr
        assert "invalid setting simulation.start" in run.stderr and str(config) in run.stderr
        assert "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()


def _exit_65(tmp_path: Path, path: Path) -> Run:
    run = daemon(tmp_path / "out", "--replay", str(path), timeout=60)
    assert run.returncode == ExitCode.DATA_ERROR, (run.returncode, run.stderr)
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()
    return run


def test_input_with_nothing_to_replay_exits_65_with_a_hint(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert _exit_65(tmp_path, empty).stderr.startswith(
        f"brain-daemon: nothing to replay in {empty}: the file is empty"
    )
    folder = tmp_path / "folder"
    folder.mkdir()
    run = _exit_65(tmp_path, folder)
    assert f"nothing to replay in {folder}: no observations file found" in run.stderr
    assert "hint: a replay reads observations.NNNN.jsonl parts" in run.stderr
    junk = _write(tmp_path / "junk.jsonl", [b'{"hello": "world"}'] * 5)
    run = _exit_65(tmp_path, junk)
    assert "no valid observation (5 malformed lines)" in run.stderr and "ObservationV1" in run.stderr


def test_a_csv_replayed_as_it_is_exits_65_with_the_import_command_and_a_short_log(tmp_path: Path) -> None:
    # Issue 17 item 3: a CSV printed 41,714 malformed_line_skipped warnings and exited 0.
    rows = [b"timestamp,air_temperature,relative_humidity"]
    rows += [f"2024-06-24 {hour % 24:02d}:00,21.{hour % 10},70".encode() for hour in range(5000)]
    csv = _write(tmp_path / "field log.csv", rows)
    run = _exit_65(tmp_path, csv)
    command = f"brain import-csv --mapping NAME|PATH --output '{tmp_path / 'field log.jsonl'}' '{csv}'"
    assert f"\n  {command}\n" in run.stderr, run.stderr
    assert "the first 100 lines hold no valid observation" in run.stderr
    events = [e["event"] for e in run.log_events()]
    assert events.count("malformed_line_skipped") == 100


def test_a_flood_of_bad_lines_is_logged_once_summed_up(tmp_path: Path, simulated_lines: list[bytes]) -> None:
    flood = 20_000
    replay = _write(
        tmp_path / "observations.0000.jsonl", [simulated_lines[0], *[b"junk"] * flood, *simulated_lines[1:5]]
    )
    run = daemon(tmp_path / "out", "--replay", str(replay), timeout=60)
    assert run.returncode == 0, run.stderr
    events = run.log_events()
    assert sum(e["event"] == "malformed_line_skipped" for e in events) == MAX_LOGGED_MALFORMED
    summary = [e for e in events if e["event"] == "malformed_lines_summary"]
    assert [(e["skipped"], e["not_logged"]) for e in summary] == [(flood, flood - MAX_LOGGED_MALFORMED)]
    assert len(run.records("observations")) == 5


def test_fifos_and_devices_in_a_replay_folder_are_reported_never_opened(
    tmp_path: Path, simulated_lines: list[bytes]
) -> None:
    # Issue 16 item 6: a FIFO blocked the replay forever, /dev/zero ended in MemoryError.
    run_dir = tmp_path / "replay" / "run_20260601"
    _write(run_dir / "observations.0000.jsonl", simulated_lines[:30])
    os.mkfifo(run_dir / "observations.0001.jsonl")
    (run_dir / "observations.0002.jsonl").symlink_to("/dev/zero")
    _write(run_dir / "observations.0003.jsonl", simulated_lines[30:60])
    os.mkfifo(run_dir / "device_status.0000.jsonl")
    run = daemon(tmp_path / "out", "--replay", str(run_dir.parent), timeout=30)  # a blocked open times out
    assert run.returncode == 0, run.stderr
    refused = {
        Path(e["file"]).name: e["reason"] for e in run.log_events() if e["event"] == "malformed_line_skipped"
    }
    assert refused == {
        "observations.0001.jsonl": "file refused: a FIFO, not a regular file: not read",
        "observations.0002.jsonl": "file refused: a character device, not a regular file: not read",
        "device_status.0000.jsonl": "file refused: a FIFO, not a regular file: not read",
    }
    assert [r["timestamp"] for r in run.records("observations")] == [
        json.loads(line)["timestamp"] for line in simulated_lines[:60]
    ]
    fifo = run_dir / "observations.0001.jsonl"
    assert (
        f"cannot replay {fifo}: it is a FIFO, not a file or a folder" in _exit_65(tmp_path / "2", fifo).stderr
    )


def _peak_mb(replay: Path, out: Path) -> tuple[float, Run]:
    env = {k: v for k, v in clean_env().items() if not k.startswith("COVERAGE_")}
    args = ["--replay", str(replay), "--output-dir", str(out), "--log-format", "json"]
    result = subprocess.run(
        [sys.executable, "-c", MEASURED, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    run = Run(result.returncode, result.stdout, result.stderr, out)
    assert run.returncode == 0, run.stderr
    return int(result.stderr.split("VmHWM:")[1].split()[0]) / 1024, run


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_a_gzip_bomb_of_one_long_line_is_skipped_in_bounded_memory(
    tmp_path: Path, simulated_lines: list[bytes]
) -> None:
    # 64 MiB of one line compress to about 64 KB; the 1 GiB bomb of the issue took 2.15 GB.
    bomb_bytes = 64 * 1024 * 1024
    plain = tmp_path / "plain" / "run_20260601"
    _write(plain / "observations.0000.jsonl", simulated_lines[:60])
    _write(plain / "observations.0001.jsonl", simulated_lines[60:120])
    bombed = tmp_path / "bombed" / "run_20260601"
    _write(bombed / "observations.0000.jsonl", simulated_lines[:60])
    with gzip.open(bombed / "observations.0001.jsonl.gz", "wb") as bomb:
        for _ in range(bomb_bytes // MAX_LINE_BYTES):
            bomb.write(b"a" * MAX_LINE_BYTES)
        bomb.write(b"\n" + b"\n".join(simulated_lines[60:120]) + b"\n")
    compressed = (bombed / "observations.0001.jsonl.gz").stat().st_size
    baseline_mb, _ = _peak_mb(plain.parent, tmp_path / "out_plain")
    peak_mb, run = _peak_mb(bombed.parent, tmp_path / "out_bombed")
    reasons = [e["reason"] for e in run.log_events() if e["event"] == "malformed_line_skipped"]
    assert reasons == [
        f"line of {bomb_bytes} bytes, longer than the {MAX_LINE_BYTES} a record may have: not read"
    ]
    assert len(run.records("observations")) == 120
    assert peak_mb - baseline_mb < 8, f"peak {peak_mb:.1f} MB against {baseline_mb:.1f} MB without the bomb"
    print(
        f"gzip bomb: {compressed // 1024} KB expanding to one line of {bomb_bytes >> 20} MiB, "
        f"peak RSS {peak_mb:.1f} MB (without it {baseline_mb:.1f} MB)"
    )


def test_sigterm_stops_a_replay_of_a_folder_holding_a_fifo(
    tmp_path: Path, simulated_lines: list[bytes]
) -> None:
    run_dir = tmp_path / "replay" / "run_20260601"
    run_dir.mkdir(parents=True)
    os.mkfifo(run_dir / "observations.0000.jsonl")  # read first: refused before the first poll
    _write(run_dir / "observations.0001.jsonl", simulated_lines)
    # 600x: one replayed minute every 0.1 s, 18 s for the whole log unless stopped.
    log = tmp_path / "daemon.log"
    process = start_daemon(tmp_path / "out", "--replay", str(run_dir.parent), "--time-scale", "600", log=log)
    try:
        wait_until(
            lambda: any((tmp_path / "out").glob("run_*/observations.*.jsonl")),
            "replaying past the FIFO, which is read (and refused) first",
        )
        process.popen.send_signal(signal.SIGTERM)
        status = process.finish(timeout=60)
    finally:
        process.kill()
    assert status == 0
    events = [e["event"] for e in process.events()]
    assert "stop_requested" in events and "malformed_line_skipped" in events
    written = len(Run(0, "", "", tmp_path / "out").records("observations"))
    assert 0 < written < len(simulated_lines)
