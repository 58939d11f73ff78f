"""The uplink drill: a day-long broker outage, 20 SIGKILLs of the uplink, 20 of the daemon, torn tails.

Everything real: Mosquitto with persistence, a persistent subscriber (clean_session
False) standing for the fleet's central store, the daemon as forked lives of
``brain-daemon --simulate`` paced at 6000x (one simulated hour in 0.6 s), and
``brain uplink`` as fresh processes. Meanwhile:

- the daemon is SIGKILLed 20 times at random moments and restarted; every fourth
  kill first leaves a torn tail (half a line, then garbage, as a power cut does);
- the uplink is SIGKILLed 20 times at random moments, independently, and restarted;
- the broker is stopped for 24 simulated hours of the daemon's writing, then started.

At the end, for every stream: every sequence number from 0 to the cursor's
``next_seq`` reached the subscriber (0 missing), every record stored on disk
reached it, and the duplicates (records sent again after a kill, before their
acknowledgement reached the cursor) are counted and reported, not hidden.
Result of the last run: docs/reliability.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.drill import NotifyListener, complete_lines, is_ready, part_files
from tests.reliability.launcher import Launcher
from tests.runs import clean_env
from tests.uplink.broker import Broker, Subscriber

pytestmark = pytest.mark.slow

SIMULATION = (
    "--simulate",
    "--start",
    "2026-06-01T06:00:00+00:00",
    "--scenario",
    "heatwave",
    "--duration-hours",
    "60",
)
TIME_SCALE = "6000"
KILLS = 20
OUTAGE = timedelta(hours=24)
TOOLS = "import sys; from brain.cli import tools_main; sys.exit(tools_main())"


def newest_observation(data_root: Path) -> datetime | None:
    parts = sorted(data_root.glob("run_*/observations.*.jsonl"))
    for path in reversed(parts):
        lines = complete_lines(path.read_bytes()).splitlines()
        if lines:
            return datetime.fromisoformat(json.loads(lines[-1])["timestamp"])
    return None


def tear_tail(data_root: Path, rng: random.Random) -> None:
    """A power cut's leftover in a newest part: half a line, then garbage, no newline."""
    parts = [p for p in part_files(data_root) if complete_lines(p.read_bytes())]
    if not parts:
        return
    path = rng.choice([p for p in parts if p.parent == parts[-1].parent])
    last_line = complete_lines(path.read_bytes()).splitlines()[-1]
    with path.open("ab") as handle:
        handle.write(last_line[: rng.randint(1, len(last_line) - 2)] + b"\0\xff\xfe")


class UplinkLives:
    """``brain uplink`` restarted after each of ``kills`` SIGKILLs at random moments, in its own thread."""

    def __init__(self, config: Path, logs: Path, rng: random.Random, kills: int) -> None:
        self.config, self.logs, self.rng, self.kills = config, logs, rng, kills
        self.killed = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _start(self, life: int, *extra: str) -> subprocess.Popen[bytes]:
        with (self.logs / f"uplink-{life}.out").open("wb") as out:
            return subprocess.Popen(
                [sys.executable, "-c", TOOLS, "uplink", "--config", str(self.config), *extra],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=clean_env(),
            )

    def _run(self) -> None:
        for life in range(self.kills):
            process = self._start(life)
            started = self.logs / f"uplink-{life}.out"
            deadline = time.monotonic() + 60
            while b"uplink_started" not in started.read_bytes() and time.monotonic() < deadline:
                time.sleep(0.02)  # killed while it works, not while Python imports
            time.sleep(self.rng.uniform(0.0, 2.0))
            process.send_signal(signal.SIGKILL)
            assert process.wait(timeout=30) == -signal.SIGKILL, (self.logs / f"uplink-{life}.out").read_text()
            self.killed += 1

    def last_life(self) -> int:
        """After the kills: one life that delivers everything and exits."""
        self.thread.join(timeout=300)
        process = self._start(self.kills, "--exit-when-drained")
        return process.wait(timeout=300)


def daemon_life(
    launcher: Launcher, data_root: Path, logs: Path, life: int, *, kill_after: float | None
) -> int:
    """One daemon life, SIGKILLed ``kill_after`` seconds after it said READY (``None``: run to the end)."""
    argv = [*SIMULATION, "--time-scale", TIME_SCALE, "--output-dir", str(data_root), "--log-format", "json"]
    listener = NotifyListener(logs / f"notify-{life}.sock")
    out, err = logs / f"daemon-{life}.out", logs / f"daemon-{life}.err"
    pid = launcher.start(argv, out=out, err=err, env=listener.env)
    try:
        if kill_after is not None:
            listener.wait_for(is_ready, timeout=60)
            time.sleep(kill_after)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return launcher.wait(pid, timeout=300)
    finally:
        listener.close()


def stored(data_root: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for path in part_files(data_root):
        stream = path.name.split(".")[0]
        out[stream] += [
            json.dumps(json.loads(line), sort_keys=True)
            for line in complete_lines(path.read_bytes()).splitlines()
        ]
    return out


def test_an_outage_and_forty_sigkills_lose_no_record_and_no_sequence_number(
    tmp_path: Path, launcher: Launcher
) -> None:
    rng = random.Random(19)
    data_root, logs = tmp_path / "data", tmp_path / "lives"
    logs.mkdir()
    broker = Broker(tmp_path / "broker")
    store = Subscriber(broker.port, ["brain/+/history/#"], client_id="central-store", persistent=True)
    config = tmp_path / "brain.toml"
    config.write_text(
        f'data_root = "{data_root}"\n[logging]\nformat = "json"\n'
        f'[uplink]\nhost = "127.0.0.1"\nport = {broker.port}\nmax_in_flight = 200\n'
    )
    try:
        uplinks = UplinkLives(config, logs, rng, KILLS)
        outage_from: datetime | None = None
        outages = 0
        for life in range(KILLS):
            if life % 4 == 3:
                tear_tail(data_root, rng)
            status = daemon_life(launcher, data_root, logs, life, kill_after=rng.uniform(0.3, 1.5))
            assert status == -signal.SIGKILL, (logs / f"daemon-{life}.err").read_text()[-2000:]
            newest = newest_observation(data_root)
            if life == 3 and newest is not None:
                broker.stop()  # the outage begins
                outage_from = newest
            if (
                outage_from is not None
                and broker.process is None
                and newest is not None
                and newest >= outage_from + OUTAGE
            ):
                broker.start()  # 24 simulated hours later
                outages += 1
        if broker.process is None:
            broker.start()
            outages += 1
        assert daemon_life(launcher, data_root, logs, KILLS, kill_after=None) == 0
        assert uplinks.last_life() == 0
        assert uplinks.killed == KILLS and outages == 1

        on_disk = stored(data_root)
        cursors = {
            stream: json.loads((data_root / "uplink" / f"mqtt.{stream}.cursor.json").read_text())
            for stream in on_disk
        }
        expected = {(stream, seq) for stream, cursor in cursors.items() for seq in range(cursor["next_seq"])}

        def received() -> list[dict[str, Any]]:
            return [m.json() for m in store.on("/history/")]

        store.wait_for(lambda: {(b["stream"], b["seq"]) for b in received()} >= expected, timeout=120)
    finally:
        store.close()
        broker.stop()

    bodies = received()
    pairs = Counter((b["stream"], b["seq"]) for b in bodies if b["epoch"] == cursors[b["stream"]]["epoch"])
    missing = expected - set(pairs)
    duplicates = sum(count - 1 for count in pairs.values())
    by_content = {
        stream: {json.dumps(b["record"], sort_keys=True) for b in bodies if b["stream"] == stream}
        for stream in on_disk
    }
    unsent = {stream: len(set(lines) - by_content[stream]) for stream, lines in on_disk.items()}
    epochs = {(b["stream"], b["epoch"]) for b in bodies}
    print(
        f"\nuplink drill: {sum(map(len, on_disk.values()))} records in {len(on_disk)} streams, "
        f"{len(expected)} sequence numbers, {len(missing)} missing, {duplicates} duplicates "
        f"({duplicates / max(1, len(bodies)):.1%} of {len(bodies)} messages), "
        f"unsent records {sum(unsent.values())}"
    )
    assert missing == set()
    assert all(count == 0 for count in unsent.values()), unsent
    assert {stream: cursor["next_seq"] for stream, cursor in cursors.items()} == {
        s: len(v) for s, v in on_disk.items()
    }
    assert len(epochs) == len(on_disk)  # no cursor had to start afresh
