"""``brain report``: a grower's day or week as one self-contained HTML page.

Needs matplotlib (``pip install 'brain[report]'``); without it the command says so and exits
69 (:attr:`brain.exit_codes.ExitCode.UNAVAILABLE`). Days are the site's local days.
A day or week without a single observation writes no page and exits 65 (``DATA_ERROR``),
naming the days the folder holds: an empty page and exit 0 read as success (issue 25).
A data root that is not there exits 66 (``NO_INPUT``). Log lines (a skipped malformed line)
go to stderr; what the report found goes to stdout.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from brain.cli.site_options import add_site_options, iso_date, open_site
from brain.exit_codes import ExitCode

MIN_SHARE_PCT = 80.0
"""``--min-share``'s default: :data:`brain.report.daystats.MIN_SHARE_PCT` (not imported here: the
report's modules load only when a report is made, so ``brain --help`` stays fast)."""


LAST_WEEK = "last"
"""``--week`` without a date: Monday to Sunday of last week."""


def _week_start(text: str) -> date | str:
    """``--week``'s type: a date, or ``LAST_WEEK``: argparse passes a str const through the type too."""
    return LAST_WEEK if text == LAST_WEEK else iso_date(text)


def add_report(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``brain report``."""
    parser = sub.add_parser(
        "report",
        help="a day's or a week's climate as one HTML page (needs brain[report])",
        description="Curves with tomato target bands, anomalies, sensor health and the day's figures, "
        "as one self-contained HTML file that works offline. Default: yesterday. A period without "
        "observations writes no page and exits 65, naming the days the folder holds.",
    )
    add_site_options(parser)
    period = parser.add_mutually_exclusive_group()
    period.add_argument(
        "--day", type=iso_date, metavar="YYYY-MM-DD", help="one local day (default: yesterday)"
    )
    period.add_argument(
        "--week",
        type=_week_start,
        nargs="?",
        const=LAST_WEEK,
        metavar="YYYY-MM-DD",
        help="seven local days from this date (without a date: Monday to Sunday of last week)",
    )
    parser.add_argument(
        "--out",
        "--output",
        dest="out",
        type=Path,
        metavar="FILE",
        help="HTML file to write (default: brain-report-<date>.html here)",
    )
    parser.add_argument(
        "--min-share",
        type=_percent,
        default=MIN_SHARE_PCT,
        metavar="PCT",
        help="a figure from less than this %% of the day's polls is marked partial and not judged "
        f"(default: {MIN_SHARE_PCT:g})",
    )
    parser.set_defaults(run=run_report)


def _percent(text: str) -> float:
    """``--min-share``'s type: a number from 0 to 100."""
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if not 0.0 <= value <= 100.0:
        raise argparse.ArgumentTypeError(f"not a percentage from 0 to 100: {text!r}")
    return value


def run_report(args: argparse.Namespace) -> int:
    """Build the page and write it; say where, and what the day lacked."""
    from brain.logging import configure_logging
    from brain.report.days import last_week_start, local_today
    from brain.report.folder import days_held
    from brain.report.plots import MatplotlibMissingError
    from brain.report.printable import printable
    from brain.report.report import day_report, week_report

    site = open_site(args, "brain report")
    if isinstance(site, ExitCode):
        return site
    configure_logging("auto", "warning", stream=sys.stderr)
    data_root, zone = site.data_root, site.zone
    now = datetime.now(UTC)
    today = local_today(now, zone.zone)
    try:
        if args.week is not None:
            first = last_week_start(today) if args.week == LAST_WEEK else args.week
            report = week_report(data_root, first, zone, now, min_share_pct=args.min_share)
            name = f"brain-report-week-{first}.html"
            asked = f"the week {first} to {first + timedelta(days=6)}"
        else:
            day = args.day or today - timedelta(days=1)
            report = day_report(data_root, day, zone, now, min_share_pct=args.min_share)
            name, asked = f"brain-report-{day}.html", f"{day}"
    except MatplotlibMissingError as exc:
        print(f"brain report: {exc}", file=sys.stderr)
        return ExitCode.UNAVAILABLE
    observations = sum(summary.observation_count for summary in report.summaries)
    if observations == 0:
        print(
            f"brain report: no observations for {asked} (local days in {zone.name}) in {data_root}; "
            f"it holds {days_held(data_root)}. No page written.",
            file=sys.stderr,
        )
        return ExitCode.DATA_ERROR
    out = args.out or Path(name)
    try:
        out.write_text(report.html, encoding="utf-8")
    except OSError as exc:
        print(f"brain report: cannot write {out}: {exc.strerror}", file=sys.stderr)
        return ExitCode.CANNOT_CREATE
    print(f"wrote {out} ({observations:,} observations, days in {zone.name})")
    for note in report.notes:
        print(f"  {printable(note)}")
    return ExitCode.OK
