"""The ``brain`` program: one sub-command per tool, every tool registered in :data:`TOOLS`."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from brain.cli.config import add_config
from brain.cli.export_public import add_export_public
from brain.cli.import_csv import add_import_csv
from brain.cli.schemas import add_schemas
from brain.cli.uplink import add_uplink

TOOLS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    add_schemas,
    add_import_csv,
    add_export_public,
    add_config,
    add_uplink,
]
"""Each entry adds one ``brain`` sub-command; a new tool is one module in brain/cli/ and one entry here."""


def build_tools_parser() -> argparse.ArgumentParser:
    """Build the ``brain`` parser with every registered tool."""
    parser = argparse.ArgumentParser(prog="brain", description="brain's tools for operators and analysts.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in TOOLS:
        add(sub)
    return parser


def tools_main(argv: Sequence[str] | None = None) -> int:
    """Run one ``brain`` tool and return its exit status (:class:`brain.exit_codes.ExitCode`)."""
    args = build_tools_parser().parse_args(argv)
    status: int = args.run(args)
    return status
