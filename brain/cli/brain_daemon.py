"""The ``brain-daemon`` program: its options, turned into settings flags, and the run.

Every option overrides the configuration file and the environment (docs/configuration.md).
Why the source is never guessed: a forgotten ``--simulate`` used to start hardware mode,
poll nothing for hours and ignore the simulation flags. The source is chosen by
``--simulate``, ``--replay PATH``, ``--hardware`` or ``source`` in the file or
``BRAIN_SOURCE``; with none, or with a flag of another mode, the daemon stops with a
usage error (exit 2) saying what to pass. A bad flag value is a usage error too; a bad
value in a file or a ``BRAIN_*`` variable is a configuration error (exit 78).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain.cli.settings_loader import config_path, print_config_error
from brain.exit_codes import ExitCode, exit_code_help

if TYPE_CHECKING:
    from brain.config import LoadedSettings
    from brain.errors import BrainError, ConfigError

PROG = "brain-daemon"
SCENARIO_HELP = ("help", "list")
"""``--scenario help`` (or ``list``) prints the scenarios and exits."""

FLAGS = {
    "data_root": "--output-dir",
    "site_id": "--site-id",
    "timezone": "--timezone",
    "poll_interval_s": "--poll-interval",
    "base_cycle_s": "--base-cycle",
    "time_scale": "--time-scale",
    "source": "--simulate/--replay/--hardware",
    "replay.path": "--replay",
    "simulation.seed": "--seed",
    "simulation.start": "--start",
    "simulation.duration_hours": "--duration-hours",
    "simulation.scenarios": "--scenario",
    "logging.level": "--verbose",
    "logging.format": "--log-format",
}
"""The setting each option sets, so that a bad flag value is reported as the flag the user typed."""

SIMULATE, REPLAY = "synthetic", "replay"
MODE_OPTIONS = (
    ("scenario", "--scenario", (SIMULATE,), "--simulate"),
    ("seed", "--seed", (SIMULATE,), "--simulate"),
    ("duration_hours", "--duration-hours", (SIMULATE,), "--simulate"),
    ("start", "--start", (SIMULATE,), "--simulate"),
    ("time_scale", "--time-scale", (SIMULATE, REPLAY), "--simulate or --replay"),
)
"""(option, flag, the sources it belongs to, what chooses one): a flag that another mode would ignore."""


def _path(text: str) -> Path:
    """An option's path; an empty one is refused (``Path("")`` would be the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return Path(text)


NOW = re.compile(r"now(?:-(?P<hours>\d+(?:\.\d+)?)h)?")
"""``--start now`` or ``now-24h``: the current minute (UTC), or that many hours before it."""


def _start(text: str) -> str:
    """``--start``: as given, or ``now`` / ``now-<H>h`` turned into that minute in UTC.

    Why: records stamped near the present are what Home Assistant's live topics and
    ``brain status`` judge as current (a laptop trying the uplink, docs/fleet.md);
    ``now-24h`` with the default 24 hours simulates the day that ends now. The minute
    keeps the timestamps as round as a real Pi's.
    """
    match = NOW.fullmatch(text.strip().lower())
    if match is None:
        return text
    minute = datetime.now(UTC).replace(second=0, microsecond=0)
    return (minute - timedelta(hours=float(match["hours"] or 0))).isoformat()


def build_daemon_parser() -> argparse.ArgumentParser:
    """The ``brain-daemon`` options; each overrides the configuration file and the environment."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Poll the greenhouse sensors (or a simulated or replayed stream), estimate the climate\n"
            "and write durable JSONL. Choose the source: --simulate, --replay PATH, --hardware, or\n"
            "source = ... in the --config file. Precedence: flags > BRAIN_* environment > file > defaults."
        ),
        epilog=exit_code_help(),
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--simulate",
        "--synthetic",
        action="store_true",
        help='synthetic greenhouse on a simulated clock (source = "synthetic" in the file)',
    )
    mode.add_argument(
        "--replay", type=_path, metavar="PATH", help="replay a JSONL file, run directory or data root"
    )
    mode.add_argument("--hardware", action="store_true", help="the Pi's sensors and relays on the real clock")
    parser.add_argument(
        "--config", type=_path, help="TOML configuration file (default: $BRAIN_CONFIG, else none)"
    )
    parser.add_argument(
        "--output-dir",
        "--data-root",
        dest="output_dir",
        type=_path,
        metavar="DIR",
        help="data root that receives the run_YYYYMMDD directories (data_root in the file, $BRAIN_DATA_ROOT)",
    )
    parser.add_argument("--site-id", help="greenhouse name written into every record")
    parser.add_argument(
        "--timezone", metavar="ZONE", help="site time zone (IANA name): run directories follow its midnight"
    )
    parser.add_argument(
        "--seed", type=int, help="simulate only: seed of the synthetic greenhouse (same seed, same bytes)"
    )
    parser.add_argument(
        "--scenario",
        action="append",
        metavar="SPEC",
        help="simulate only: scenario to inject, repeatable; '--scenario help' (or list) lists them",
    )
    parser.add_argument(
        "--start",
        type=_start,
        help="simulate only: start, ISO 8601 with offset, or 'now' / 'now-24h' (this minute in UTC, or "
        "hours before it; such a run is not reproducible); default 2026-06-01 at midnight in the "
        "--timezone (UTC: 2026-06-01T00:00:00+00:00), so one simulated day is one local day",
    )
    parser.add_argument(
        "--duration-hours",
        type=float,
        metavar="HOURS",
        help="simulate only: logical hours to simulate (default 24)",
    )
    parser.add_argument(
        "--poll-interval", type=float, metavar="SECONDS", help="seconds between polls, 0.1-3600 (default 60)"
    )
    parser.add_argument(
        "--base-cycle", type=float, metavar="SECONDS", help="seconds between base state records, 0.1-86400"
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        metavar="RATIO",
        help="simulate/replay only: logical s per wall s; 0 = as fast as possible (finite)",
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
    if args.hardware:
        flags["source"] = "hardware"
    if args.replay is not None:
        flags["source"] = "replay"
        flags["replay"] = {"path": args.replay}
    for option, key in (
        ("output_dir", "data_root"),
        ("site_id", "site_id"),
        ("timezone", "timezone"),
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


def mode_usage_error(args: argparse.Namespace, loaded: LoadedSettings) -> str | None:
    """Why the options do not fit the chosen source (a flag of another mode, or no source at all), or None."""
    from brain.daemon.builder import NO_SOURCE

    source = loaded.settings.source
    for option, flag, sources, needs in MODE_OPTIONS:
        if getattr(args, option) is not None and (source is None or source.value not in sources):
            if source is None:
                return f"{flag} needs {needs} (no source is chosen)"
            return f"{flag} needs {needs}; the source is {source.value} (from {loaded.origin_of('source')})"
    return NO_SOURCE if source is None else None


def daemon_main(argv: Sequence[str] | None = None) -> int:
    """Run ``brain-daemon`` and return its exit status (:class:`ExitCode`; the table ends ``--help``)."""
    parser = build_daemon_parser()
    args = parser.parse_args(argv)
    if args.scenario and any(spec.strip() in SCENARIO_HELP for spec in args.scenario):
        from brain.sources.synthetic.scenarios import scenario_help

        print(scenario_help())
        return ExitCode.OK
    from brain.config import SourceKind, load_settings
    from brain.errors import BrainError, ConfigError
    from brain.logging import configure_logging

    try:
        loaded = load_settings(config_path(args.config), daemon_flags(args))
    except ConfigError as exc:
        return _refuse(parser, exc, None)
    usage = mode_usage_error(args, loaded)
    if usage is not None:
        return _usage_error(parser, usage)
    settings = loaded.settings
    chosen = configure_logging(settings.logging.format, settings.logging.level)
    _warn_deprecated(loaded)
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
        return _report_error(parser, exc, loaded)
    return _report_end(settings.data_root, status)


def _report_end(data_root: Path, status: int) -> int:
    """Say where the records are, or that some were lost; pass ``status`` on."""
    root = data_root.resolve()
    if status in (ExitCode.CANNOT_CREATE, ExitCode.IO_ERROR):
        print(f"{PROG}: records were lost (see storage_records_lost); the rest is in {root}", file=sys.stderr)
        return status
    runs = sorted(p.name for p in data_root.glob("run_*")) if data_root.is_dir() else []
    where = ", ".join(runs) if len(runs) <= 3 else f"{len(runs)} run directories, {runs[0]} to {runs[-1]}"
    print(f"{PROG}: records are in {root} ({where or 'no run directories'})")
    return status


def _report_error(parser: argparse.ArgumentParser, exc: BrainError, loaded: LoadedSettings) -> int:
    """Say on stderr why the daemon could not run, and choose its exit status.

    The first matching kind wins (a ``DataRootConflictError`` is a ``ConfigError``, a
    ``DataRootUnwritableError`` is a ``DiskError``).
    """
    from brain.daemon import DataRootConflictError
    from brain.errors import ConfigError
    from brain.sources.replay import ReplayInputError
    from brain.storage import DataRootBusyError, DataRootUnwritableError

    if isinstance(exc, DataRootConflictError):  # 78: the folder and the settings disagree (identity.py)
        print(f"{PROG}: {exc}", file=sys.stderr)
        return ExitCode.CONFIG
    if isinstance(exc, ConfigError):
        return _refuse(parser, exc, loaded)
    if isinstance(exc, ReplayInputError):  # nothing to replay: bad input, not a failure to retry
        print(f"{PROG}: {exc}\nhint: {exc.hint}", file=sys.stderr)
        return ExitCode.DATA_ERROR
    print(f"{PROG}: {exc}", file=sys.stderr)
    if isinstance(exc, DataRootBusyError):  # another writer holds the data root; its pid is in the message
        return ExitCode.TEMP_FAILURE
    if isinstance(exc, DataRootUnwritableError):  # refused at start: nothing was written, so nothing lost
        return ExitCode.CANNOT_CREATE
    return ExitCode.FAILURE


def _warn_deprecated(loaded: LoadedSettings) -> None:
    """Log each deprecated key the settings used and the key that replaces it (brain.config.MOVED_KEYS)."""
    import structlog

    from brain.config import deprecation_warnings

    for old, sentence in zip(loaded.deprecated, deprecation_warnings(loaded), strict=True):
        structlog.get_logger("brain.config").warning("setting_deprecated", key=old, message=sentence)


def _refuse(parser: argparse.ArgumentParser, exc: ConfigError, loaded: LoadedSettings | None) -> int:
    """A bad flag value is a usage error (exit 2); a bad value in a file or variable, a config error (78)."""
    from brain.cli.settings_loader import config_error_origin
    from brain.settings_core import COMMAND_LINE

    if config_error_origin(exc, loaded) == COMMAND_LINE:
        return _usage_error(parser, f"argument {_flag_of(exc.key)}: {exc}")
    print_config_error(PROG, exc, loaded)
    return ExitCode.CONFIG


def _usage_error(parser: argparse.ArgumentParser, message: str) -> int:
    """Say it as argparse says its own errors: the usage line, then ``brain-daemon: error: ...``."""
    parser.print_usage(sys.stderr)
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return ExitCode.USAGE


def _flag_of(key: str | None) -> str:
    probe = key or ""
    while probe and probe not in FLAGS:
        probe = probe[: probe.rindex("[")] if probe.endswith("]") else probe.rpartition(".")[0]
    return FLAGS.get(probe, "option")
