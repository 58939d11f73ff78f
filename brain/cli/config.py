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
    check.add_argument(
        "--hardware",
        action="store_true",
        help="then probe every configured sensor and relay once, as the daemon's start-up self-test does "
        "(exit 69 if one is not found or reads out of range); do not run it while brain.service runs",
    )
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
    _print_deprecations(loaded)
    print(describe(loaded))
    return ExitCode.OK


def _print_deprecations(loaded: LoadedSettings) -> None:
    """Say on stderr which deprecated keys the file uses and what replaces them (brain.config.MOVED_KEYS)."""
    import sys

    from brain.config import deprecation_warnings

    for sentence in deprecation_warnings(loaded):
        print(f"{PROG}: warning: {sentence}", file=sys.stderr)


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
    note = "" if loaded.settings.source is not None or args.hardware else no_source
    _print_deprecations(loaded)
    print(f"{args.file}: OK{note}")
    if args.hardware:
        return probe_hardware(loaded, args.file)
    return ExitCode.OK


def probe_hardware(loaded: LoadedSettings, config_file: Path) -> int:
    """Build the hardware source from the file, poll it once and print its self-test, device by device.

    The same code as the daemon's first poll (``SelfTestingSource.self_test``), so
    what this prints is what the journal of a fresh start will say; no record is written.
    """
    import sys
    from datetime import UTC, datetime

    from brain.logging import configure_logging
    from brain.sources.base import ProbeStatus, SelfTestingSource
    from brain.sources.plugins import load_plugin

    configure_logging("auto", "error", stream=sys.stderr)  # the table below says what the log lines would
    settings = loaded.settings
    source = load_plugin("hardware").build(
        settings.hardware, site_id=settings.site_id, config_file=config_file, now=lambda: datetime.now(UTC)
    )
    try:
        probes = source.self_test() if isinstance(source, SelfTestingSource) else []
    finally:
        source.close()
    for probe in probes:
        print(f"{probe.kind:<6} {probe.device:<24} {probe.status.value:<20} {probe.detail}")
    missing = [probe.device for probe in probes if probe.status is not ProbeStatus.FOUND]
    print(
        f"{len(probes) - len(missing)} of {len(probes)} devices found"
        + (f"; check {', '.join(missing)}" if missing else "")
    )
    return ExitCode.UNAVAILABLE if missing else ExitCode.OK
