"""The ``brain-daemon`` program: its options, turned into settings flags, and the run.

Every option overrides the configuration file and the environment (docs/configuration.md).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain.cli.settings_loader import config_path, load_or_report
from brain.exit_codes import ExitCode

if TYPE_CHECKING:
    from brain.config import LoadedSettings


def build_daemon_parser() -> argparse.ArgumentParser:
    """The ``brain-daemon`` options; each overrides the configuration file and the environment."""
    parser = argparse.ArgumentParser(
        prog="brain-daemon",
        description=(
            "Poll the greenhouse sensors (or a simulated or replayed stream), estimate the climate "
            "and write durable JSONL. Precedence: flags > BRAIN_* environment > --config file > defaults."
        ),
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--simulate", action="store_true", help="synthetic greenhouse on a simulated clock")
    mode.add_argument(
        "--replay", type=Path, metavar="PATH", help="replay a JSONL file, run directory or data root"
    )
    parser.add_argument(
        "--config", type=Path, help="TOML configuration file (default: $BRAIN_CONFIG, else none)"
    )
    parser.add_argument(
        "--output-dir", type=Path, help="data root that receives the run_YYYYMMDD directories"
    )
    parser.add_argument("--site-id", help="greenhouse name written into every record")
    parser.add_argument("--seed", type=int, help="seed of the synthetic greenhouse (same seed, same bytes)")
    parser.add_argument(
        "--scenario",
        action="append",
        metavar="SPEC",
        help="scenario to inject, repeatable; '--scenario help' lists them",
    )
    parser.add_argument(
        "--start", help="simulation start, ISO 8601 with offset (default 2026-06-01T00:00:00+00:00)"
    )
    parser.add_argument("--duration-hours", type=float, help="logical hours to simulate (default 24)")
    parser.add_argument(
        "--poll-interval", type=float, metavar="SECONDS", help="seconds between polls (default 60)"
    )
    parser.add_argument(
        "--base-cycle", type=float, metavar="SECONDS", help="seconds between base state records"
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        help="simulate/replay speed: logical s per wall s; 0 = as fast as possible",
    )
    parser.add_argument(
        "--continue-different-run",
        action="store_true",
        help="append this run to a data root whose manifest names another run (recorded in the manifest)",
    )
    parser.add_argument("--verbose", action="store_true", help="log at debug level")
    parser.add_argument("--log-format", choices=["auto", "json", "console"], help="log format (default auto)")
    return parser


def daemon_flags(args: argparse.Namespace) -> dict[str, Any]:
    """Turn the given options into the nested settings mapping (absent options override nothing)."""
    flags: dict[str, Any] = {}
    simulation: dict[str, Any] = {}
    if args.simulate:
        flags["source"] = "synthetic"
    if args.replay is not None:
        flags["source"] = "replay"
        flags["replay"] = {"path": args.replay}
    for option, key in (
        ("output_dir", "data_root"),
        ("site_id", "site_id"),
        ("poll_interval", "poll_interval_s"),
        ("base_cycle", "base_cycle_s"),
        ("time_scale", "time_scale"),
    ):
        if getattr(args, option) is not None:
            flags[key] = getattr(args, option)
    for option, key in (("seed", "seed"), ("start", "start"), ("duration_hours", "duration_hours")):
        if getattr(args, option) is not None:
            simulation[key] = getattr(args, option)
    if args.scenario:
        simulation["scenarios"] = args.scenario
    if simulation:
        flags["simulation"] = simulation
    logging: dict[str, Any] = {}
    if args.verbose:
        logging["level"] = "debug"
    if args.log_format:
        logging["format"] = args.log_format
    if logging:
        flags["logging"] = logging
    return flags


def daemon_main(argv: Sequence[str] | None = None) -> int:
    """Run ``brain-daemon`` and return its exit status (:class:`~brain.exit_codes.ExitCode`)."""
    args = build_daemon_parser().parse_args(argv)
    if args.scenario and "help" in args.scenario:
        from brain.sources.synthetic.scenarios import scenario_help

        print(scenario_help())
        return ExitCode.OK
    loaded = load_or_report(config_path(args.config), daemon_flags(args))
    if loaded is None:
        return ExitCode.CONFIG
    from brain.config import SourceKind
    from brain.errors import BrainError
    from brain.logging import configure_logging

    settings = loaded.settings
    chosen = configure_logging(settings.logging.format, settings.logging.level)
    from brain import daemon

    try:
        status = daemon.run(
            loaded,
            progress=chosen == "console"
            and sys.stderr.isatty()
            and settings.source is not SourceKind.HARDWARE,
            continue_different_run=args.continue_different_run,
        )
    except BrainError as exc:
        return _report_error(exc, loaded)
    root = settings.data_root.resolve()
    if status in (ExitCode.CANNOT_CREATE, ExitCode.IO_ERROR):
        print(
            f"brain-daemon: records were lost (see storage_records_lost); the rest is in {root}",
            file=sys.stderr,
        )
        return status
    runs = sorted(p.name for p in settings.data_root.glob("run_*")) if settings.data_root.is_dir() else []
    where = ", ".join(runs) if len(runs) <= 3 else f"{len(runs)} run directories, {runs[0]} to {runs[-1]}"
    where = where or "no run directories"
    print(f"brain-daemon: records are in {root} ({where})")
    return status


def _report_error(exc: BaseException, loaded: LoadedSettings) -> ExitCode:
    """Say on stderr why the daemon could not run, and choose its exit status.

    The order matters: the first matching kind wins (a ``DataRootUnwritableError``
    is a ``DiskError`` is a ``StorageError``).
    """
    from brain import daemon
    from brain.errors import ConfigError
    from brain.sources.replay import ReplayInputError
    from brain.storage import DataRootBusyError, DataRootUnwritableError

    if isinstance(exc, ConfigError) and not isinstance(exc, daemon.DataRootConflictError):
        origin = loaded.origins.get(exc.key or "", "default") if exc.file is None else "default"
        where = f"; from {origin}" if origin != "default" else ""  # the file, "command line" or "environment"
        print(f"brain-daemon: configuration error: {exc}{where}", file=sys.stderr)
        return ExitCode.CONFIG
    if isinstance(exc, ReplayInputError):  # nothing to replay: bad input, not a failure to retry
        print(f"brain-daemon: {exc}\nhint: {exc.hint}", file=sys.stderr)
        return ExitCode.DATA_ERROR
    print(f"brain-daemon: {exc}", file=sys.stderr)
    if isinstance(exc, daemon.DataRootConflictError):  # the folder and the settings disagree (identity.py)
        return ExitCode.CONFIG
    if isinstance(exc, DataRootBusyError):  # another writer holds the data root; its pid is in the message
        return ExitCode.TEMP_FAILURE
    if isinstance(exc, DataRootUnwritableError):  # the output folder cannot be created or written
        return ExitCode.CANNOT_CREATE if exc.permanent else ExitCode.IO_ERROR
    return ExitCode.FAILURE
