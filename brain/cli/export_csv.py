"""``brain export-csv``: states, observations with VPD, or actions, as CSV (with a local-time column).

stdout is the CSV when no ``--out`` is given, so everything else goes to stderr: the row
count, and log lines (a ``malformed_line_skipped`` for the torn last line a power cut
leaves). A range without a single record exits 65 (``DATA_ERROR``) naming the days the
folder holds, and removes the ``--out`` file it would have left with a header only; a data
root that is not there exits 66 (``NO_INPUT``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from brain.cli.site_options import add_site_options, iso_date, open_site
from brain.exit_codes import ExitCode


def add_export_csv(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``brain export-csv``."""
    parser = sub.add_parser(
        "export-csv",
        help="states (or observations with VPD, or actions) as CSV with a local-time column",
        description="Write the state records (default), every observation with its VPD, or the advisor's "
        "actions with their reasons as CSV. "
        "Columns: timestamp_utc, local_time, timezone, site_id, then the values. A range without "
        "records exits 65, naming the days the folder holds.",
    )
    add_site_options(parser)
    what = parser.add_mutually_exclusive_group()
    what.add_argument(
        "--observations", action="store_true", help="every observation with VPD, not the states"
    )
    what.add_argument("--actions", action="store_true", help="the advisor's actions and their reasons")
    parser.add_argument("--from", dest="first", type=iso_date, metavar="YYYY-MM-DD", help="first local day")
    parser.add_argument(
        "--to", dest="last", type=iso_date, metavar="YYYY-MM-DD", help="last local day (inclusive)"
    )
    parser.add_argument(
        "--out",
        "--output",
        dest="out",
        type=Path,
        metavar="FILE",
        help="CSV file to write (default: standard output)",
    )
    parser.set_defaults(run=run_export_csv)


def run_export_csv(args: argparse.Namespace) -> int:
    """Write the CSV; the row count goes to stderr so stdout stays pure CSV."""
    from brain.logging import configure_logging
    from brain.report.export_csv import Period, export_actions, export_observations, export_states
    from brain.report.folder import days_held

    site = open_site(args, "brain export-csv")
    if isinstance(site, ExitCode):
        return site
    configure_logging("auto", "warning", stream=sys.stderr)
    data_root, zone = site.data_root, site.zone
    export = export_actions if args.actions else export_observations if args.observations else export_states
    period = Period(args.first, args.last)
    try:
        if args.out is None:
            rows = _to_stdout(lambda: export(data_root, period, zone, sys.stdout))
        else:
            with args.out.open("w", encoding="utf-8", newline="") as out:
                rows = export(data_root, period, zone, out)
    except OSError as exc:
        print(f"brain export-csv: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return ExitCode.CANNOT_CREATE
    if rows < 0:
        return ExitCode.OK  # the reader closed the pipe: nothing more to say
    kind = "actions" if args.actions else "observations" if args.observations else "states"
    if rows == 0:
        if args.out is not None:
            args.out.unlink(missing_ok=True)
        asked = f"from {args.first or 'the first day'} to {args.last or 'the last day'}"
        print(
            f"brain export-csv: no {kind} {asked} (local days in {zone.name}) in {data_root}; "
            f"it holds {days_held(data_root)}",
            file=sys.stderr,
        )
        return ExitCode.DATA_ERROR
    print(f"brain export-csv: {rows:,} {kind}, local time in {zone.name}", file=sys.stderr)
    return ExitCode.OK


def _to_stdout(write: Callable[[], int]) -> int:
    """Run ``write``; a reader that stops early (``| head``) ends it quietly (-1), like ``cat``."""
    try:
        return write()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return -1
