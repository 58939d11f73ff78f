"""The ``brain`` program: one sub-command per tool, every tool registered in :data:`TOOLS`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from brain.cli.config import add_config
from brain.cli.export_csv import add_export_csv
from brain.cli.export_public import add_export_public
from brain.cli.import_csv import add_import_csv
from brain.cli.report import add_report
from brain.cli.schemas import add_schemas
from brain.cli.status import USAGE_STATUS, add_status
from brain.cli.uplink import add_uplink
from brain.exit_codes import ExitCode, exit_code_help

TOOLS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    add_schemas,
    add_import_csv,
    add_export_public,
    add_config,
    add_status,
    add_report,
    add_export_csv,
    add_uplink,
]
"""Each entry adds one ``brain`` sub-command; a new tool is one module in brain/cli/ and one entry here."""


def build_tools_parser() -> argparse.ArgumentParser:
    """Build the ``brain`` parser with every registered tool."""
    parser = argparse.ArgumentParser(
        prog="brain",
        description="brain's tools for operators and analysts.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=exit_code_help("brain"),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in TOOLS:
        add(sub)
    return parser


USAGE_STATUS_OF: dict[str, int] = {"status": USAGE_STATUS}
"""Tools whose callers have their own exit-status convention: the status a bad command line gets there."""


def tools_main(argv: Sequence[str] | None = None) -> int:
    """Run one ``brain`` tool and return its exit status (:class:`brain.exit_codes.ExitCode`)."""
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_tools_parser().parse_args(words)
    except SystemExit as exc:
        command = next((word for word in words if not word.startswith("-")), "")
        if exc.code == ExitCode.USAGE and command in USAGE_STATUS_OF:
            raise SystemExit(USAGE_STATUS_OF[command]) from exc
        raise
    status: int = args.run(args)
    return status
