"""Command-line entry points: argument parsing only; the work happens elsewhere.

``brain`` holds the tools (one sub-command each, registered in :data:`TOOLS`);
``brain-daemon`` is the long-running program. Imports of the heavier parts are
deferred to the sub-command that needs them so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from brain.config import LoadedSettings

from brain.sources.csv.command import add_import_csv

EXIT_OK = 0
EXIT_RUNTIME_ERROR = 1
EXIT_USAGE = 2
EXIT_CONFIG = 78  # EX_CONFIG from sysexits.h: systemd's RestartPreventExitStatus=78 stops a loop


def _add_schemas(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("schemas", help="write the JSON Schema of every contract")
    parser.add_argument("--out", type=Path, required=True, help="directory to write *.schema.json into")
    parser.set_defaults(run=_run_schemas)


def _run_schemas(args: argparse.Namespace) -> int:
    from brain.contracts.schemas import write_schemas

    for path in write_schemas(args.out):
        print(path)
    return EXIT_OK


def _add_export_public(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("export-public", help="copy JSONL logs keeping only shareable fields")
    parser.add_argument("src", type=Path, help="a part file, a run directory or a data root")
    parser.add_argument("dst", type=Path, help="new (or empty) directory for the public copy")
    parser.add_argument("--on-malformed", choices=["skip", "fail"], default="skip", help="bad source lines")
    parser.set_defaults(run=_run_export_public)


def _run_export_public(args: argparse.Namespace) -> int:
    from brain.errors import StorageError
    from brain.storage.export import export_public
    from brain.storage.reader import MalformedLinePolicy

    try:
        report = export_public(args.src, args.dst, policy=MalformedLinePolicy(args.on_malformed))
    except StorageError as exc:
        print(f"brain export-public: {exc}", file=sys.stderr)
        return EXIT_RUNTIME_ERROR
    print(report.summary())
    return EXIT_OK


def _add_config(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("config", help="show or check the daemon's configuration")
    actions = parser.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="print every effective setting and where it came from")
    show.add_argument("--config", type=Path, default=None, help="TOML file (default: none, or $BRAIN_CONFIG)")
    show.set_defaults(run=_run_config_show)
    check = actions.add_parser("check", help="validate a configuration file without touching hardware")
    check.add_argument("file", type=Path, help="TOML file to check")
    check.set_defaults(run=_run_config_check)


def _run_config_show(args: argparse.Namespace) -> int:
    from brain.config import describe

    loaded = _load_or_report(_config_path(args.config), {})
    if loaded is None:
        return EXIT_CONFIG
    print(describe(loaded))
    return EXIT_OK


def _run_config_check(args: argparse.Namespace) -> int:
    loaded = _load_or_report(args.file, {})
    if loaded is None:
        return EXIT_CONFIG
    print(f"{args.file}: OK")
    return EXIT_OK


TOOLS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    _add_schemas,
    add_import_csv,
    _add_export_public,
    _add_config,
]
"""Each entry adds one ``brain`` sub-command; a new tool is one function added here."""


def _config_path(given: Path | None) -> Path | None:
    if given is not None:
        return given
    from_env = os.environ.get("BRAIN_CONFIG")
    return Path(from_env) if from_env else None


def _load_or_report(config_file: Path | None, flags: dict[str, Any]) -> LoadedSettings | None:
    """Load settings (and let the hardware plugin check its section); report a ConfigError on stderr."""
    from brain.config import SourceKind, load_settings
    from brain.errors import ConfigError

    try:
        loaded = load_settings(config_file, flags)
        if loaded.settings.source is SourceKind.HARDWARE or loaded.settings.hardware:
            from brain.sources.plugins import load_plugin

            load_plugin("hardware").check(loaded.settings.hardware, config_file=config_file)
    except ConfigError as exc:
        print(f"brain: configuration error: {exc}", file=sys.stderr)
        return None
    return loaded


def build_tools_parser() -> argparse.ArgumentParser:
    """Build the ``brain`` parser with every registered tool."""
    parser = argparse.ArgumentParser(prog="brain", description="brain's tools for operators and analysts.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in TOOLS:
        add(sub)
    return parser


def tools_main(argv: Sequence[str] | None = None) -> int:
    """Run one ``brain`` tool and return its exit status."""
    args = build_tools_parser().parse_args(argv)
    status: int = args.run(args)
    return status


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
    parser.add_argument("--verbose", action="store_true", help="log at debug level")
    parser.add_argument("--log-format", choices=["auto", "json", "console"], help="log format (default auto)")
    return parser


def _daemon_flags(args: argparse.Namespace) -> dict[str, Any]:
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
    """Run ``brain-daemon`` and return its exit status (0, 1 runtime error, 2 usage, 78 config)."""
    args = build_daemon_parser().parse_args(argv)
    if args.scenario and "help" in args.scenario:
        from brain.sources.synthetic.scenarios import scenario_help

        print(scenario_help())
        return EXIT_OK
    loaded = _load_or_report(_config_path(args.config), _daemon_flags(args))
    if loaded is None:
        return EXIT_CONFIG
    from brain.config import SourceKind
    from brain.errors import BrainError, ConfigError
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
        )
    except ConfigError as exc:
        origin = loaded.origins.get(exc.key or "", "default") if exc.file is None else "default"
        where = f"; from {origin}" if origin != "default" else ""  # the file, "command line" or "environment"
        print(f"brain-daemon: configuration error: {exc}{where}", file=sys.stderr)
        return EXIT_CONFIG
    except BrainError as exc:
        print(f"brain-daemon: {exc}", file=sys.stderr)
        return EXIT_RUNTIME_ERROR
    runs = sorted(p.name for p in settings.data_root.glob("run_*")) if settings.data_root.is_dir() else []
    where = ", ".join(runs) if len(runs) <= 3 else f"{len(runs)} run directories, {runs[0]} to {runs[-1]}"
    where = where or "no run directories"
    print(f"brain-daemon: records are in {settings.data_root.resolve()} ({where})")
    return status


if __name__ == "__main__":  # pragma: no cover - exercised through the console scripts
    sys.exit(tools_main())
