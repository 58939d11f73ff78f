"""What a grower's tools see of the daemon's log: levels they can filter, and a terminal that stays legible.

Each test runs ``brain-daemon`` as a process, the way docs/deployment.md and
docs/operations.md tell a grower to: under journald (``JOURNAL_STREAM`` set, JSON
lines with their ``<N>`` priority prefix), with ``--verbose``, and on a terminal (a
pseudo-terminal, so that stdout and stderr are ttys as in a shell).
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.conftest import PROJECT_ROOT
from tests.runs import DAEMON, clean_env, daemon

HEATWAVE = ("--simulate", "--scenario", "heatwave", "--scenario", "disconnect:par_umol_m2_s@14h,duration=2h")
WARNING_PRIORITY = 4
"""``journalctl -p warning`` shows priorities 0 to 4."""


def test_journalctl_p_warning_shows_anomaly_starts_and_failing_sensors_only(tmp_path: Path) -> None:
    stdout = _under_journald(tmp_path / "data", *HEATWAVE, journal=tmp_path / "journal")
    lines = [_journal_line(line) for line in stdout.splitlines() if line.startswith("<")]
    assert lines and len(lines) == len([line for line in stdout.splitlines() if "{" in line])
    shown = [event for priority, event in lines if priority <= WARNING_PRIORITY]  # journalctl -p warning
    hidden = [event for priority, event in lines if priority > WARNING_PRIORITY]

    starts = [e for _, e in lines if e["event"] in ("anomaly_started", "anomaly_severity_changed")]
    assert {e["severity"] for e in starts} == {"warning", "critical"}, "the heatwave reaches both"
    assert any(e["event"] == "anomaly_severity_changed" for e in starts), "an episode escalates within itself"
    assert all(e in shown for e in starts)
    assert all(e["level"] == ("error" if e["severity"] == "critical" else "warning") for e in starts)
    ends = [e for _, e in lines if e["event"] == "anomaly_ended"]
    assert ends and all(e in hidden and e["level"] == "info" for e in ends)

    health = [e for _, e in lines if e["event"] == "sensor_health_changed"]
    failing = [e for e in health if e["worse"]]
    recovering = [e for e in health if e["recovered"]]
    assert [e["worse"] for e in failing] == [
        {"par_umol_m2_s": "ok->degraded"},
        {"par_umol_m2_s": "degraded->faulty"},
    ]
    assert all(e in shown and e["level"] == "warning" for e in failing)
    assert recovering and all(e in hidden and e["level"] == "info" for e in recovering)
    assert not [e for e in shown if e not in starts and e not in failing], "nothing else cries wolf"


def test_verbose_logs_each_poll_with_its_readings_and_verdicts(tmp_path: Path) -> None:
    run = daemon(tmp_path, "--simulate", "--duration-hours", "2", "--verbose")
    assert run.returncode == 0, run.stderr
    polls = [e for e in run.log_events() if e["event"] == "poll"]
    assert len(polls) == 120 and all(e["level"] == "debug" for e in polls)
    first = polls[0]
    assert first["timestamp"] == "2026-06-01T00:00:00+00:00"
    assert set(first["readings"]) == {
        "air_temperature_c", "relative_humidity_pct", "co2_ppm", "par_umol_m2_s", "substrate_moisture_pct",
    }  # fmt: skip
    assert isinstance(first["readings"]["air_temperature_c"], float)
    assert 0 < first["vpd_kpa"] < 5 and 0 <= first["confidence"] <= 1
    assert set(first["sensors"].values()) <= {"ok", "degraded", "faulty"} and len(first["sensors"]) == 5
    quiet = daemon(tmp_path / "quiet", "--simulate", "--duration-hours", "2")
    assert not [e for e in quiet.log_events() if e["event"] == "poll"], "without --verbose, no poll lines"


def test_on_a_terminal_the_progress_line_is_never_glued_to_a_log_line(tmp_path: Path) -> None:
    screen = _run_on_a_terminal(
        [sys.executable, *DAEMON, "--output-dir", str(tmp_path), *HEATWAVE, "--time-scale", "28800"]
    )
    text = re.sub(r"\x1b\[[0-9;]*m", "", screen)  # colours off; the erase-line sequence stays
    assert "obs/s" in text, "the progress line was drawn"
    log_lines = [line for line in text.split("\n") if re.search(r"\[(info|warning|error) *\]", line)]
    assert any("anomaly_started" in line for line in log_lines)
    for line in log_lines:
        visible = line.rsplit("\x1b[K", 1)[-1]  # what is left on the terminal after the last erase
        assert "obs/s" not in visible, f"a log line glued to the progress line: {line!r}"
        # A line starts with its level, or with the record's own timestamp and then the level.
        starts_clean = re.match(r"\r?(\d{4}-\d\d-\d\dT\S+ )?\[(info|warning|error)", visible)
        assert starts_clean, f"a log line not at the start of its line: {line!r}"
    assert text.rstrip().splitlines()[-1].startswith("brain-daemon: records are in")


def _under_journald(data_root: Path, *args: str, journal: Path) -> str:
    """Run the daemon with stdout on a file that ``JOURNAL_STREAM`` names, as systemd connects journald."""
    with journal.open("wb") as out:
        stat = os.fstat(out.fileno())
        done = subprocess.run(
            [sys.executable, *DAEMON, "--output-dir", str(data_root), "--log-format", "json", *args],
            stdout=out, stderr=subprocess.PIPE, cwd=PROJECT_ROOT, timeout=120, check=False,
            env=clean_env(JOURNAL_STREAM=f"{stat.st_dev}:{stat.st_ino}"),
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return journal.read_text()


def _journal_line(line: str) -> tuple[int, dict[str, Any]]:
    """``<4>{...}`` as journald reads it: the priority, and the JSON message it stores."""
    match = re.fullmatch(r"<(\d)>(\{.*\})", line)
    assert match, line
    return int(match[1]), json.loads(match[2])


def _run_on_a_terminal(command: list[str], timeout: float = 120) -> str:
    """Run ``command`` with stdout and stderr on one pseudo-terminal; everything it drew there."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower,
        env=clean_env(TERM="xterm"), cwd=PROJECT_ROOT,
    )  # fmt: skip
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the last writer closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=10) == 0, b"".join(chunks)[-2000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)
    return b"".join(chunks).decode(errors="replace").replace("\r\n", "\n")
