"""``brain schemas``: write the JSON Schema of every contract (``make schemas`` refreshes docs/schemas/)."""

from __future__ import annotations

import argparse
from pathlib import Path

from brain.exit_codes import ExitCode


def add_schemas(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``brain schemas``."""
    parser = sub.add_parser("schemas", help="write the JSON Schema of every contract")
    parser.add_argument(
        "--out",
        "--output",
        dest="out",
        type=Path,
        required=True,
        metavar="DIR",
        help="directory to write *.schema.json into",
    )
    parser.set_defaults(run=run_schemas)


def run_schemas(args: argparse.Namespace) -> int:
    """Write the schemas and print each path."""
    from brain.contracts.schemas import write_schemas

    for path in write_schemas(args.out):
        print(path)
    return ExitCode.OK
