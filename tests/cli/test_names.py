"""Issue 25, names a new user trips over: both spellings work, and docs/operations.md's table is true.

The table maps each flag to its configuration key and environment variable; every flag it
names is an option of brain's programs, every key a setting, every variable the key's name.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from brain.cli.brain_daemon import build_daemon_parser
from brain.cli.tools import build_tools_parser
from brain.config import BrainSettings, load_settings
from tests.conftest import PROJECT_ROOT


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """A parser and every subcommand's parser under it."""
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


PARSERS = {p.prog: p for p in [build_daemon_parser(), *_parsers(build_tools_parser())]}


def _option(prog: str, flag: str) -> argparse.Action:
    [action] = [a for a in PARSERS[prog]._actions if flag in a.option_strings]
    return action


@pytest.mark.parametrize(
    ("prog", "spellings"),
    [
        ("brain-daemon", ("--output-dir", "--data-root")),
        ("brain-daemon", ("--simulate", "--synthetic")),
        ("brain export-csv", ("--out", "--output")),
        ("brain report", ("--out", "--output")),
        ("brain schemas", ("--out", "--output")),
        ("brain import-csv", ("--output", "--out")),
    ],
)
def test_both_spellings_are_one_option(prog: str, spellings: tuple[str, str]) -> None:
    first, second = (_option(prog, flag) for flag in spellings)
    assert first is second


def test_the_alias_sets_the_same_setting(tmp_path: Path) -> None:
    from brain.cli.brain_daemon import daemon_flags

    parser = build_daemon_parser()
    for argv in (
        ["--synthetic", "--data-root", str(tmp_path)],
        ["--simulate", "--output-dir", str(tmp_path)],
    ):
        settings = load_settings(None, daemon_flags(parser.parse_args(argv))).settings
        assert (settings.source and settings.source.value, settings.data_root) == ("synthetic", tmp_path)


def test_a_flag_in_minutes_says_minutes() -> None:
    for flag in ("--warn-age", "--crit-age"):
        action = _option("brain status", flag)
        assert action.metavar == "MINUTES" and action.help is not None and "minutes" in action.help
    for prog, flag, unit in (
        ("brain-daemon", "--poll-interval", "SECONDS"),
        ("brain-daemon", "--base-cycle", "SECONDS"),
        ("brain-daemon", "--duration-hours", "HOURS"),
        ("brain uplink", "--give-up-after", "SECONDS"),
    ):
        assert _option(prog, flag).metavar == unit, flag


def _names_table() -> list[list[str]]:
    text = (PROJECT_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = text.split("### Names", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| what")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def _setting_exists(key: str) -> bool:
    model: type[BrainSettings] | None = BrainSettings
    *sections, last = key.split(".")
    for section in sections:
        annotation = model.model_fields[section].annotation if model is not None else None
        model = annotation if isinstance(annotation, type) else None  # type: ignore[assignment]
    return model is not None and last in model.model_fields


def _expanded(cell: str, pattern: str) -> list[str]:
    """The names in a cell, ``.start`` (or ``__START``) completed with the section of the name before it."""
    names: list[str] = []
    for name in re.findall(pattern, cell):
        separator = "." if name.startswith(".") else "__"
        names.append(names[-1].split(separator)[0] + name if name.startswith(separator) and names else name)
    return names


def test_every_name_in_the_table_exists() -> None:
    rows = _names_table()
    assert len(rows) >= 10
    every_flag = {flag for parser in PARSERS.values() for a in parser._actions for flag in a.option_strings}
    for what, flags, keys, variables in rows:
        for flag in re.findall(r"(?<![\w-])--[a-z][a-z-]*", flags):
            assert flag in every_flag, f"{what}: {flag} is no option"
        settings = _expanded(keys, r"`(\.?[a-z_]+(?:\.[a-z_]+)*)`")
        for key in settings:
            assert _setting_exists(key), f"{what}: {key} is no setting"
        named = set(_expanded(variables, r"`((?:BRAIN)?_[A-Z_]+)`"))
        expected = {"BRAIN_" + key.upper().replace(".", "__") for key in settings}
        assert expected <= named, f"{what}: {expected - named} not named"
