"""Every command README.md and docs/*.md show runs as shown, from a fresh clone's point of view.

Why: a doc whose commands fail (a folder only the authors have, a flag that changed, a promise
such as "byte for byte" that was never checked) costs a new user more than no doc at all.

The convention the docs follow (README.md says it too):

- a ```sh block holds commands, and this test runs each one, in order, document by document;
  ```text (or any other) blocks are examples or output and are never run;
- a command that cannot run here (it needs a Pi, root, systemd, a broker or the network) says
  ``not run: <why>`` in its comment; a ``# not run: <why>`` line opening a block covers the block;
- a comment ``exits N`` states an expected exit status other than 0;
- ``make test`` is this suite itself, so it is never run here and needs no ``not run:`` (a
  reader of the README's quickstart is not shown the convention).

Each document runs in its own temporary "clone": links to the project's files, no ``.venv`` (the
test's interpreter's bin folder stands in for ``.venv/bin/``, and is first on PATH), no ``data``
and no ``../shared``. ``/tmp/`` becomes the clone's own ``tmp/``, and ``/var/lib/brain`` (the
Pi's data root) a simulated day made first.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from brain.storage import MANIFEST_NAME
from tests.conftest import PROJECT_ROOT, made_once
from tests.runs import clean_env

DOCUMENTS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
VENV_BIN = Path(sys.executable).parent
"""The interpreter running the tests: its bin folder has brain, brain-daemon and python, like .venv/bin."""

NOT_CLONED = {".venv", ".git", "data", ".pytest_cache", ".mypy_cache", ".ruff_cache", "htmlcov", ".coverage"}
"""What a fresh clone does not have: made by make, by a run, or by the tools."""

PI_DATA = "pi-data"
"""In a clone, the Pi's data root: one simulated day, 2026-06-01."""

LINKS = {"docs/operations.md": {"data": PI_DATA}, "docs/deployment.md": {"field-logs": PI_DATA}}
"""Folders a document assumes exist: ``brain report data`` (after make simulate), rsync's ``./field-logs``."""

BROKER_DOCUMENTS = {"docs/fleet.md"}
"""Documents whose commands talk to a local Mosquitto on port 1883 (a laptop's): the test starts a real
one on a free port for them and points ``-p 1883`` and ``--port 1883`` there."""
LAPTOP_PORT = re.compile(r"(?<=-p )1883\b|(?<=--port )1883\b")

NOT_RUN = re.compile(r"not run: *(?P<reason>\S.*)$")
EXITS = re.compile(r"\bexits (?P<status>\d+)\b")
ITSELF = {"make test": "it is the test suite that runs this test"}
"""Commands never run here without a word in the doc: running them would run this test again."""
COMMAND_START = re.compile(r"^(brain |brain-daemon |\.venv/bin/|make |python|pip |sudo )")
"""How a command line starts; checked in fences without a language, which must hold none."""


@dataclass(frozen=True)
class Command:
    """One command of a ```sh block, where it stands, and what the doc says about running it."""

    document: str
    line: int
    text: str
    not_run: str | None
    exits: int


@dataclass(frozen=True)
class Fence:
    """One fenced block: its language (empty when none), first line number and lines."""

    language: str
    line: int
    lines: list[str]


def fences(path: Path) -> list[Fence]:
    """The fenced blocks of a Markdown file."""
    found: list[Fence] = []
    current: Fence | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("```"):
            if current is None:
                current = Fence(line[3:].strip(), number, [])
            else:
                found.append(current)
                current = None
        elif current is not None:
            current.lines.append(line)
    assert current is None, f"{path}: a fence opened at line {current.line} is never closed"
    return found


def _split_comment(line: str) -> tuple[str, str]:
    match = re.search(r"(^|\s)#", line)
    if match is None:
        return line.strip(), ""
    return line[: match.start()].strip(), line[match.end() :].strip()


def commands(path: Path) -> list[Command]:
    """The commands of every ```sh block of ``path``, continuation lines joined."""
    document = str(path.relative_to(PROJECT_ROOT))
    found: list[Command] = []
    for fence in fences(path):
        if fence.language != "sh":
            continue
        block_reason: str | None = None
        pending = ""
        for offset, raw in enumerate(fence.lines, start=1):
            text, comment = _split_comment(raw)
            if not text and not pending:
                opening = not any(c.line > fence.line for c in found if c.document == document)
                if opening and (match := NOT_RUN.search(comment)):
                    block_reason = match["reason"]  # a comment before the block's first command
                continue
            if text.endswith("\\"):
                pending += text[:-1] + " "
                continue
            line_reason = NOT_RUN.search(comment)
            status = EXITS.search(comment)
            found.append(
                Command(
                    document=document,
                    line=fence.line + offset,
                    text=pending + text,
                    not_run=line_reason["reason"]
                    if line_reason
                    else block_reason or ITSELF.get(pending + text),
                    exits=int(status["status"]) if status else 0,
                )
            )
            pending = ""
    return found


def _runnable(path: Path) -> list[Command]:
    return [command for command in commands(path) if command.not_run is None]


def _as_in_clone(text: str, clone: Path) -> str:
    """The command as it runs in the clone: its .venv, its tmp, its Pi data root.

    Only a path that starts with ``/tmp/`` is moved (not one that merely contains it), and
    before the venv's path goes in: a project cloned under /tmp (as CI may) keeps its own.
    """
    text = re.sub(r"(?<![\w./-])/tmp/", f"{clone}/tmp/", text)
    text = text.replace(".venv/bin/", f"{VENV_BIN}/")
    text = text.replace("/var/lib/brain", str(clone / PI_DATA))
    if text.startswith("make "):
        # The clone's make uses the test's environment, never installs: the stamp counts as up to date.
        text = f"make -o {VENV_BIN.parent}/.installed VENV={VENV_BIN.parent} {text[len('make ') :]}"
    return text


def _env() -> dict[str, str]:
    env = clean_env()
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '')}"
    for key in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS"):  # under `make test`, the clone's make starts fresh
        env.pop(key, None)
    return env


@pytest.fixture(scope="session")
def pi_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Pi's data root, simulated once per run; each clone gets its own copy to write in."""

    def simulate(at: Path) -> Path:
        made = subprocess.run(
            [VENV_BIN / "brain-daemon", "--simulate", "--duration-hours", "24", "--output-dir", at / PI_DATA],
            cwd=at,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert made.returncode == 0, made.stderr
        return at / PI_DATA

    return made_once(tmp_path_factory, "pi_day", simulate)


def _clone(where: Path, document: str, pi_day: Path) -> Path:
    """A folder that looks like a fresh clone: the project's files, and the Pi's data root to read."""
    clone = where / "clone"
    clone.mkdir()
    for entry in PROJECT_ROOT.iterdir():
        if entry.name not in NOT_CLONED:
            (clone / entry.name).symlink_to(entry)
    (clone / "tmp").mkdir()
    shutil.copytree(pi_day, clone / PI_DATA)
    for name, target in LINKS.get(document, {}).items():
        (clone / name).symlink_to(clone / target)
    return clone


def _run(command: Command, clone: Path, broker_port: int | None = None) -> subprocess.CompletedProcess[str]:
    text = _as_in_clone(command.text, clone)
    if broker_port is not None:
        text = LAPTOP_PORT.sub(str(broker_port), text)
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", text],
        cwd=clone,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_sh_command_is_run_or_says_why_not() -> None:
    every = [command for path in DOCUMENTS for command in commands(path)]
    runnable = [command for command in every if command.not_run is None]
    assert runnable, "no runnable command found: the parser or the docs changed"
    assert any(c.document == "README.md" for c in runnable)
    for command in runnable:
        assert "../shared" not in command.text, f"{command.document}:{command.line}: a clone has no ../shared"
    for command in every:
        assert command.not_run is None or len(command.not_run) >= 8, (
            f"{command.document}:{command.line}: say why it is not run"
        )


def test_fences_without_a_language_hold_no_commands() -> None:
    # A command in a bare fence would escape this test: commands go in ```sh, output in ```text.
    for path in DOCUMENTS:
        for fence in fences(path):
            if fence.language:
                continue
            for offset, line in enumerate(fence.lines, start=1):
                assert not COMMAND_START.match(line), (
                    f"{path.name}:{fence.line + offset}: a command in a fence without a language: "
                    "use ```sh (run by this test) or ```text (an example, not run)"
                )


@pytest.mark.parametrize(
    "document",
    [str(path.relative_to(PROJECT_ROOT)) for path in DOCUMENTS if _runnable(path)],
)
def test_the_commands_of_a_document_run_as_shown(document: str, tmp_path: Path, pi_day: Path) -> None:
    clone = _clone(tmp_path, document, pi_day)
    with contextlib.ExitStack() as stack:
        broker_port = _broker(tmp_path, stack) if document in BROKER_DOCUMENTS else None
        for command in _runnable(PROJECT_ROOT / document):
            result = _run(command, clone, broker_port)
            assert result.returncode == command.exits, (
                f"{document}:{command.line}: {command.text}\nexit {result.returncode}, "
                f"the doc expects {command.exits}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            )


def _broker(tmp_path: Path, stack: contextlib.ExitStack) -> int:
    """A real Mosquitto for the document, stopped when the test ends; needs ``mosquitto_sub`` too.

    Outside CI a missing Mosquitto or ``mosquitto_sub`` (Debian: ``mosquitto-clients``) skips the
    document, in CI it fails it (tests/uplink/broker.py).
    """
    from tests.uplink.broker import Broker

    if shutil.which("mosquitto_sub") is None:
        message = "mosquitto_sub is not installed (Debian: apt-get install mosquitto-clients)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    broker = Broker(tmp_path / "broker")
    stack.callback(broker.stop)
    return broker.port


def test_the_readme_round_trip_is_byte_identical(tmp_path: Path, pi_day: Path) -> None:
    # The README promises that replaying what a run wrote gives the same estimates, byte for byte.
    readme = commands(PROJECT_ROOT / "README.md")
    run = next(c for c in readme if "--output-dir /tmp/day" in c.text)
    replay = next(c for c in readme if "--replay /tmp/day" in c.text)
    clone = _clone(tmp_path, "README.md", pi_day)
    for command in (run, replay):
        result = _run(command, clone)
        assert result.returncode == 0, result.stderr
    written = clone / "tmp" / "day"
    replayed = clone / "tmp" / replay.text.split("--output-dir /tmp/")[1].split()[0]
    for stream in ("state", "anomalies", "sensor_health"):
        originals = sorted(written.glob(f"run_*/{stream}.*.jsonl"))
        copies = sorted(replayed.glob(f"run_*/{stream}.*.jsonl"))
        assert originals, f"the run wrote no {stream}"
        assert [p.relative_to(written) for p in originals] == [p.relative_to(replayed) for p in copies]
        for original, copy in zip(originals, copies, strict=True):
            assert original.read_bytes() == copy.read_bytes(), f"{stream}: {original.name} differs"
    assert (written / "run_20260601" / "anomalies.0000.jsonl").stat().st_size > 0, (
        "a heatwave day raises anomalies"
    )


def test_make_simulate_runs_config_simulate_toml(tmp_path: Path, pi_day: Path) -> None:
    # config/simulate.toml says it is what `make simulate` runs: editing it must change the run.
    clone = _clone(tmp_path, "README.md", pi_day)
    configured = tomllib.loads((PROJECT_ROOT / "config" / "simulate.toml").read_text(encoding="utf-8"))
    command = Command("Makefile", 0, "make simulate DATA=tmp/sim", None, 0)

    result = _run(command, clone)

    assert result.returncode == 0, result.stderr
    manifest = json.loads((clone / "tmp" / "sim" / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["identity"]["site_id"] == configured["site_id"]
    assert manifest["identity"]["base_cycle_s"] == configured["base_cycle_s"]
