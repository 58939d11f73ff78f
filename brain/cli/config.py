"""``brain config show|check``: the daemon's effective settings and where each came from, or a file's check.

(The settings themselves are :mod:`brain.config`; this module is only the command line.)
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from brain.cli.settings_loader import config_path, print_config_error
from brain.exit_codes import ExitCode

if TYPE_CHECKING:
    from brain.config import LoadedSettings

PROG = "brain config"


def add_config(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``brain config`` and its actions."""
    parser = sub.add_parser("config", help="show or check the daemon's configuration")
    actions = parser.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="print every effective setting and where it came from")
    show.add_argument("--config", type=Path, default=None, help="TOML file (default: none, or $BRAIN_CONFIG)")
    show.set_defaults(run=run_config_show)
    check = actions.add_parser(
        "check",
        help="run every check brain-daemon runs at start, without touching hardware",
        description="Validate FILE (with the BRAIN_* environment) exactly as brain-daemon does at start: "
        "every setting, the thresholds file, the scenarios, the replay path and the hardware section.",
    )
    check.add_argument("file", type=Path, help="TOML file to check")
    check.set_defaults(run=run_config_check)


def run_config_show(args: argparse.Namespace) -> int:
    """Print ``key = value  # origin`` for every setting; exit 78 on a configuration error (as ``check``)."""
    from brain.config import describe, load_settings
    from brain.daemon.builder import check_settings
    from brain.errors import ConfigError

    loaded: LoadedSettings | None = None
    try:
        loaded = load_settings(config_path(args.config))
        check_settings(loaded)
    except ConfigError as exc:
        print_config_error(f"{PROG} show", exc, loaded)
        return ExitCode.CONFIG
    print(describe(loaded))
    return ExitCode.OK


def run_config_check(args: argparse.Namespace) -> int:
    """Run the daemon's start-up checks on ``args.file``; exit 78 on a configuration error.

    The checks are :func:`brain.daemon.builder.check_settings`, the function the daemon
    itself calls before it builds anything, so the two can never disagree.
    """
    from brain.config import load_settings
    from brain.daemon.builder import check_settings
    from brain.errors import ConfigError

    loaded: LoadedSettings | None = None
    try:
        loaded = load_settings(args.file)
        check_settings(loaded)
    except ConfigError as exc:
        print_config_error(f"{PROG} check", exc, loaded)
        return ExitCode.CONFIG
    no_source = " (no source: brain-daemon needs --simulate, --replay PATH or --hardware)"
    note = "" if loaded.settings.source is not None else no_source
    print(f"{args.file}: OK{note}")
    return ExitCode.OK
