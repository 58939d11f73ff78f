"""``brain config show|check``: the daemon's effective settings and where each came from, or a file's check.

(The settings themselves are :mod:`brain.config`; this module is only the command line.)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from brain.cli.settings_loader import config_path, load_or_report
from brain.exit_codes import ExitCode


def add_config(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``brain config`` and its actions."""
    parser = sub.add_parser("config", help="show or check the daemon's configuration")
    actions = parser.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="print every effective setting and where it came from")
    show.add_argument("--config", type=Path, default=None, help="TOML file (default: none, or $BRAIN_CONFIG)")
    show.set_defaults(run=run_config_show)
    check = actions.add_parser("check", help="validate a configuration file without touching hardware")
    check.add_argument("file", type=Path, help="TOML file to check")
    check.set_defaults(run=run_config_check)


def run_config_show(args: argparse.Namespace) -> int:
    """Print ``key = value  # origin`` for every setting; exit 78 on a configuration error."""
    from brain.config import describe

    loaded = load_or_report(config_path(args.config), {})
    if loaded is None:
        return ExitCode.CONFIG
    print(describe(loaded))
    return ExitCode.OK


def run_config_check(args: argparse.Namespace) -> int:
    """Validate ``args.file`` (the hardware section too); exit 78 on a configuration error."""
    loaded = load_or_report(args.file, {})
    if loaded is None:
        return ExitCode.CONFIG
    print(f"{args.file}: OK")
    return ExitCode.OK
