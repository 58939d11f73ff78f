"""Bad input: a replay full of every kind of damage; the daemon logs each bad line and keeps every good one.

The replay data roots are built from real greenhouse logs (a field CSV imported
with ``brain import-csv``; skipped when ``../shared/data/field`` is absent) and
from a simulated day (runs everywhere). Damage is put at known places, so the
drill can demand a log event naming the file and line of every damaged line,
and exactly the good lines in the output.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brain import daemon as brain_daemon
from brain.config import load_settings
from brain.exit_codes import ExitCode
from brain.sources.replay import ReplayInputError
from tests.conftest import PROJECT_ROOT
from tests.reliability.drill import validate_data_root
from tests.runs import DAEMON, Run, clean_env, daemon, run_process

MALFORMED = ("truncated", "binary", "wrong_types", "naive_timestamp", "huge")
DROPPED = ("duplicate", "out_of_order")
HUGE_BYTES = 10 * 1024 * 1024


def _timestamp(line: bytes) -> datetime:
    return datetime.fromisoformat(json.loads(line)["timestamp"])


def _with(line: bytes, **changes: Any) -> bytes:
    record = json.loads(line)
    for dotted, value in changes.items():
        *outer, key = dotted.split("__")
        target = record
        for name in outer:
            target = target[name]
        target[key] = value
    return json.dumps(record).encode()


def damaged_line(kind: str, previous: bytes, upcoming: bytes, rng: random.Random) -> bytes:
    """One bad line of ``kind``, made from the good lines around it."""
    if kind == "truncated":  # a line cut short, as a copy interrupted mid-write leaves it
        return upcoming[: rng.randint(1, len(upcoming) - 2)]
    if kind == "binary":
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 300))).replace(b"\n", b"\xff")
    if kind == "wrong_types":
        return _with(upcoming, sensors__air_temperature_c="warm", schema_version=1)
    if kind == "naive_timestamp":
        return _with(upcoming, timestamp=_timestamp(upcoming).replace(tzinfo=None).isoformat())
    if kind == "huge":  # one line of 10 MB: a runaway logger, or a file of zeros without newlines
        return b'{"schema_version": "1.0", "padding": "' + b"x" * HUGE_BYTES + b'"}'
    if kind == "duplicate":
        return previous
    if kind == "out_of_order":  # a valid record one second older than the one before it
        return _with(previous, timestamp=(_timestamp(previous) - timedelta(seconds=1)).isoformat())
    raise ValueError(kind)


@dataclass
class DamagedReplay:
    """A replay data root with damage at known places."""

    root: Path
    good: list[datetime] = field(default_factory=list)
    bad: dict[tuple[str, int], str] = field(default_factory=dict)
    """``(file, line) -> kind`` of every damaged line."""

    def write_part(self, path: Path, good_lines: list[bytes], kinds: list[str], rng: random.Random) -> None:
        """Write ``good_lines`` with one damaged line of each of ``kinds`` spread among them."""
        path.parent.mkdir(parents=True, exist_ok=True)
        every = max(1, len(good_lines) // (len(kinds) + 1))
        pending = list(kinds)
        out: list[bytes] = []
        for index, line in enumerate(good_lines):
            if index and index % every == 0 and pending and index + 1 < len(good_lines):
                kind = pending.pop(0)
                out.append(damaged_line(kind, good_lines[index - 1], line, rng))
                self.bad[(str(path), len(out))] = kind
            out.append(line)
            self.good.append(_timestamp(line))
        assert not pending, "too few good lines to place every kind of damage"
        path.write_bytes(b"".join(line + b"\n" for line in out))


def build_damaged_root(root: Path, good_lines: list[bytes], seed: int) -> DamagedReplay:
    """Two run directories of damaged parts, with an empty part between them."""
    rng = random.Random(seed)
    replay = DamagedReplay(root)
    day_one, day_two = _run_name(good_lines[0]), _run_name(good_lines[-1])
    if day_two == day_one:
        day_two = _run_name(good_lines[0], days=1)
    half = len(good_lines) // 2
    replay.write_part(
        root / day_one / "observations.0000.jsonl", good_lines[:half], [*MALFORMED[:3], *DROPPED], rng
    )
    (root / day_one / "observations.0001.jsonl").write_bytes(b"")  # an empty part
    replay.write_part(
        root / day_two / "observations.0000.jsonl", good_lines[half:], [*MALFORMED[3:], *DROPPED], rng
    )
    return replay


def _run_name(line: bytes, days: int = 0) -> str:
    return f"run_{_timestamp(line) + timedelta(days=days):%Y%m%d}"


def check_replay_of_damage(replay: DamagedReplay, run: Run) -> None:
    """Exit 0; one event naming file and line per damaged line; exactly the good lines written."""
    assert run.returncode == 0, run.stderr
    events = run.log_events()
    bad_lines = [e for e in events if e["event"] in {"malformed_line_skipped", "replay_observation_dropped"}]
    reported = {(e["file"], e["line"]): e for e in bad_lines}
    assert len(reported) == len(bad_lines), "a damaged line was reported twice"
    assert set(reported) == set(replay.bad), "each damaged line must be reported, by file and line"
    # A clear line each: the 10 MB line is named, not copied into the journal.
    assert all(len(json.dumps(e)) < 1000 for e in bad_lines)
    for place, kind in replay.bad.items():
        event = reported[place]
        if kind in DROPPED:
            assert (event["event"], event["reason"]) == ("replay_observation_dropped", kind)
        else:
            assert event["event"] == "malformed_line_skipped" and event["reason"], place
    malformed = [e for e in events if e["event"] == "malformed_line_skipped"]
    assert malformed[-1]["skipped"] == sum(kind in MALFORMED for kind in replay.bad.values())
    written = validate_data_root(run.data_root)["observations"]
    assert [o.timestamp for o in written] == replay.good  # type: ignore[attr-defined]
    print(f"bad input: {len(replay.bad)} damaged lines each reported, {len(written)} good lines all written")


def test_simulated_replay_with_every_kind_of_damage(tmp_path: Path, simulated_lines: list[bytes]) -> None:
    replay = build_damaged_root(tmp_path / "damaged", simulated_lines, seed=1)
    check_replay_of_damage(replay, daemon(tmp_path / "out", "--replay", str(replay.root)))


@pytest.mark.field_data
def test_field_log_replay_with_every_kind_of_damage(tmp_path: Path, field_data: Path) -> None:
    imported = tmp_path / "cornell.jsonl"
    csv = field_data / "cornell2020_tomato_co2lassi_environment_2020-12-10_2021-01-09.csv"
    args = ["-c", "import sys; from brain.cli import tools_main; sys.exit(tools_main())"]
    result = run_process(
        [*args, "import-csv", str(csv), "--mapping", "cornell2020", "--output", str(imported)], tmp_path
    )
    assert result.returncode == 0, result.stderr
    lines = imported.read_bytes().splitlines()[: 3 * 288]  # three days of 5-minute records
    replay = build_damaged_root(tmp_path / "damaged", lines, seed=2)
    check_replay_of_damage(replay, daemon(tmp_path / "out", "--replay", str(replay.root)))


def test_an_empty_replay_file_exits_65_and_writes_nothing(tmp_path: Path) -> None:
    # Issue 17 item 3: it used to be "nothing_to_do" and exit 0, as if a run had been made.
    empty = tmp_path / "observations.0000.jsonl"
    empty.write_bytes(b"")
    run = daemon(tmp_path / "out", "--replay", str(empty))
    assert run.returncode == ExitCode.DATA_ERROR, run.stderr
    assert run.stderr.splitlines()[0] == f"brain-daemon: nothing to replay in {empty}: the file is empty"
    assert not (tmp_path / "out").exists()


def _without_permission_bypass() -> list[str]:
    """A command prefix under which root, too, is bound by file modes; skip if none can be made."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: root reads any file, so the case would prove nothing")
    caps = "-dac_override,-dac_read_search"
    prefix = [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}", "--"]
    probe = subprocess.run([*prefix, "true"], check=False)
    if probe.returncode != 0:
        pytest.skip("cannot drop CAP_DAC_OVERRIDE here: root reads any file, so the case would prove nothing")
    return prefix


def test_unreadable_directory_and_file_are_reported_and_the_rest_replayed(
    tmp_path: Path, simulated_lines: list[bytes]
) -> None:
    # Root ignores file modes, as the tests here run: the daemon runs without the two capabilities
    # that let it (setpriv), so the modes bind it as they bind the `brain` user on the Pi.
    prefix = _without_permission_bypass()
    src = tmp_path / "src"
    quarters = [simulated_lines[i * 45 : (i + 1) * 45] for i in range(4)]
    parts = [src / f"run_2026060{day}" / "observations.0000.jsonl" for day in (1, 2, 3, 4)]
    for path, lines in zip(parts, quarters, strict=True):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"".join(line + b"\n" for line in lines))
    parts[1].parent.chmod(0)  # a run directory nobody may list
    parts[2].chmod(0)  # a part nobody may read
    env = clean_env()
    command = [*prefix, sys.executable, *DAEMON]
    try:
        result = subprocess.run(
            [*command, "--replay", str(src), "--output-dir", str(tmp_path / "out"), "--log-format", "json"],
            capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=60, check=False,
        )  # fmt: skip
        whole_root = subprocess.run(
            [*command, "--replay", str(parts[1].parent), "--output-dir", str(tmp_path / "out2")],
            capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=60, check=False,
        )  # fmt: skip
    finally:
        parts[1].parent.chmod(0o755)
        parts[2].chmod(0o644)
    run = Run(result.returncode, result.stdout, result.stderr, tmp_path / "out")
    assert run.returncode == 0, run.stderr
    skipped = [e for e in run.log_events() if e["event"] == "malformed_line_skipped"]
    named = {e["file"] for e in skipped}
    assert str(parts[1].parent) in named and str(parts[2]) in named
    assert all("Permission denied" in e["reason"] for e in skipped)
    written = [o["timestamp"] for o in run.records("observations")]
    expected = [json.loads(line)["timestamp"] for line in quarters[0] + quarters[3]]
    assert written == expected
    # A replay root that cannot be listed at all is an error that names it, not a traceback.
    assert whole_root.returncode == 1
    assert f"{parts[1].parent}: cannot list the directory: Permission denied" in whole_root.stderr
    assert "Traceback" not in whole_root.stderr


# A daemon-level fuzz: tests/sources/test_replay_source.py fuzzes ReplaySource itself; this runs
# whole daemons (in-process, to be fast) on random mixes of good and damaged lines.
KINDS = ("good", *MALFORMED[:-1], *DROPPED)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.sampled_from(KINDS), max_size=25), seed=st.integers(0, 2**16))
def test_daemon_replays_any_mix_of_damage_keeping_every_good_line(
    tmp_path_factory: pytest.TempPathFactory, simulated_lines: list[bytes], kinds: list[str], seed: int
) -> None:
    rng = random.Random(seed)
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "observations.0000.jsonl"
    lines: list[bytes] = []
    expected: list[datetime] = []
    bad: dict[int, str] = {}
    good = iter(simulated_lines)
    previous: bytes | None = None
    for kind in kinds:
        if kind == "good":
            previous = next(good)
            lines.append(previous)
            expected.append(_timestamp(previous))
        elif previous is not None:  # damage is made from the good lines around it
            lines.append(damaged_line(kind, previous, simulated_lines[len(expected)], rng))
            bad[len(lines)] = kind
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    flags = {"source": "replay", "replay": {"path": path}, "data_root": folder / "out", "time_scale": 0}
    if not expected:  # nothing valid to replay: the input error (exit 65), however the lines are damaged
        with pytest.raises(ReplayInputError, match="nothing to replay"):
            brain_daemon.run(load_settings(None, flags))
        return
    with structlog.testing.capture_logs() as logs:
        status = brain_daemon.run(load_settings(None, flags))
    assert status == 0
    bad_lines = [e for e in logs if e["event"] in {"malformed_line_skipped", "replay_observation_dropped"}]
    reported = {e["line"]: e for e in bad_lines}
    assert len(reported) == len(bad_lines) and set(reported) == set(bad), "each bad line reported once"
    assert all(e["file"] == str(path) for e in reported.values())
    assert all(reported[line].get("reason") == kind for line, kind in bad.items() if kind in DROPPED)
    written = validate_data_root(folder / "out")["observations"]
    assert [o.timestamp for o in written] == expected  # type: ignore[attr-defined]
