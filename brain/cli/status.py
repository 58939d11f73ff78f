"""``brain status``: one screen on a data root, and an exit status a monitoring plugin understands.

Exit statuses are the monitoring-plugin ones (Nagios, Icinga, Checkmk): 0 OK, 1 WARNING,
2 CRITICAL, 3 UNKNOWN (:class:`brain.report.status_view.Level`), not brain's sysexits table:
for ``brain status`` 2 means "critical", never "usage error".
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta

from brain.cli.site_options import add_site_options, open_site
from brain.exit_codes import ExitCode

EPILOG = """exit status (monitoring-plugin convention, unlike brain's other tools):
  0 OK        1 WARNING        2 CRITICAL        3 UNKNOWN (no data root, no runs, no readable observation,
              a bad option or configuration)
WARNING: newest observation older than --warn-age, a warning anomaly open, an installed sensor faulty,
  disk full in under 30 days at the current rate, under 90 % of today's polls stored,
  an uplink over 1 h behind.
CRITICAL: newest observation older than --crit-age, a critical anomaly open, disk full in under 7 days."""


def add_status(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``brain status``."""
    parser = sub.add_parser(
        "status",
        help="the state of a data root now (monitoring exit codes 0-3)",
        description="Latest state, open anomalies, sensor health, today's data, disk, uplink and manifest.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_site_options(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the screen")
    parser.add_argument(
        "--at",
        metavar="TIME",
        help="judge the folder as of this ISO 8601 time, records after it left out (default: now; a finished "
        "simulation or replay: its newest observation)",
    )
    parser.add_argument(
        "--warn-age",
        type=float,
        default=5.0,
        metavar="MINUTES",
        help="WARNING when the newest observation is older than this many minutes (default 5)",
    )
    parser.add_argument(
        "--crit-age",
        type=float,
        default=30.0,
        metavar="MINUTES",
        help="CRITICAL when the newest observation is older than this many minutes (default 30)",
    )
    parser.set_defaults(run=run_status)


USAGE_STATUS = 3
"""A bad command line exits UNKNOWN, not argparse's 2, which a monitoring plugin reads as CRITICAL."""


def run_status(args: argparse.Namespace) -> int:
    """Gather, judge and print; the exit status is the verdict's level."""
    from brain.report.status import gather_status, status_now
    from brain.report.status_view import Level, Limits, render_json, render_text, verdict

    site = open_site(args, "brain status UNKNOWN")
    now = _instant(args.at)
    if isinstance(site, ExitCode) or now is None:
        return Level.UNKNOWN
    limits = Limits(warn_age=timedelta(minutes=args.warn_age), crit_age=timedelta(minutes=args.crit_age))
    if args.at is None:
        status = status_now(site.data_root, now, site.zone, stale_after=limits.warn_age)
    else:
        status = gather_status(site.data_root, now, site.zone)
    level, problems = verdict(status, limits)
    if args.json:
        print(json.dumps(render_json(status, level, problems), indent=2, ensure_ascii=False))
    else:
        print(render_text(status, level, problems), end="")
    return level


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        print(f"brain status: --at needs an ISO 8601 time with an offset, got {text!r}", file=sys.stderr)
        return None
    return moment
