"""The options of every data-root reader (``status``, ``report``, ``export-csv``): which folder, which zone.

The data root is the argument, else ``data_root`` from the configuration (``--config`` or
``$BRAIN_CONFIG``), else the default. The zone for local days is resolved later
(:func:`brain.report.days.resolve_zone`): ``--timezone`` wins, then the folder's manifest,
then the configuration's ``timezone``, then UTC (docs/operations.md, "Local days"). A
``--timezone`` this machine cannot load is a usage error (exit 2; ``brain status``: 3), as
``brain-daemon --timezone`` is: a typo never falls back to UTC unnoticed.
Why settings are loaded only when needed: ``brain status`` must answer in well under a
second, and a data root and a zone given on the command line need no configuration.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from brain.cli.settings_loader import config_path, load_or_report
from brain.exit_codes import ExitCode

if TYPE_CHECKING:
    from brain.report.days import SiteZone


def add_site_options(parser: argparse.ArgumentParser) -> None:
    """Add ``DATA_ROOT``, ``--timezone`` and ``--config``."""
    parser.add_argument(
        "data_root",
        type=Path,
        nargs="?",
        metavar="DATA_ROOT",
        help="the data root (default: the configuration's)",
    )
    parser.add_argument(
        "--timezone",
        type=zone_name,
        metavar="ZONE",
        help="IANA zone of local days (default: the folder's manifest, else the configured, else UTC)",
    )
    parser.add_argument(
        "--config", type=Path, help="TOML configuration file (default: $BRAIN_CONFIG, else none)"
    )


def zone_name(text: str) -> str:
    """An argparse type: an IANA time zone this machine can load (``Europe/Amsterdam``)."""
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise argparse.ArgumentTypeError(f"unknown IANA time zone {text!r}") from exc
    return text


def iso_date(text: str) -> date:
    """An argparse type: ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from exc


def resolve_site(args: argparse.Namespace) -> tuple[Path, str | None] | None:
    """``(data_root, configured zone)``; ``None`` after reporting a configuration error on stderr.

    ``--timezone`` is not folded in here: it outranks the folder's manifest, the
    configuration does not (the callers pass ``explicit=args.timezone``).
    """
    config_file = config_path(args.config)
    if args.data_root is not None and (args.timezone or config_file is None):
        return args.data_root, None
    loaded = load_or_report(config_file, {})
    if loaded is None:
        return None
    settings = loaded.settings
    return args.data_root or settings.data_root, settings.timezone


class Site(NamedTuple):
    """A data root to read, and the zone its local days are counted in."""

    data_root: Path
    zone: SiteZone


def open_site(args: argparse.Namespace, prog: str) -> Site | ExitCode:
    """The data root and its zone, or the exit status after saying on stderr what is wrong.

    ``CONFIG`` for a bad configuration, ``NO_INPUT`` for a data root that is not there.
    """
    from brain.report.days import site_zone

    resolved = resolve_site(args)
    if resolved is None:
        return ExitCode.CONFIG
    data_root, configured = resolved
    if not data_root.is_dir():
        print(f"{prog}: no data root at {data_root}", file=sys.stderr)
        return ExitCode.NO_INPUT
    return Site(data_root, site_zone(data_root, configured, explicit=args.timezone))
