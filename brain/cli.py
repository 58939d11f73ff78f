"""Command-line entry points: argument parsing only; the work happens elsewhere.

``brain`` holds the tools (one sub-command each, registered in :data:`TOOLS`);
``brain-daemon`` is the long-running program. Imports of the heavier parts are
deferred to the sub-command that needs them so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from brain.sources.csv_import_cli import add_import_csv

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


TOOLS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    _add_schemas,
    add_import_csv,
    _add_export_public,
]
"""Each entry adds one ``brain`` sub-command; a new tool is one function added here."""


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


def daemon_main(argv: Sequence[str] | None = None) -> int:
    """Run ``brain-daemon``."""
    parser = argparse.ArgumentParser(
        prog="brain-daemon",
        description="Poll the greenhouse sensors, estimate the climate and write durable JSONL.",
    )
    parser.add_argument(
        "--simulate", action="store_true", help="use the synthetic source on a simulated clock"
    )
    parser.add_argument("--output-dir", type=Path, default=Path("data"), help="data root for run directories")
    parser.parse_args(argv)
    print(
        "brain-daemon: the main loop is not built yet (it lands with the daemon issue); "
        "the contracts and tools are in place.",
        file=sys.stderr,
    )
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover - exercised through the console scripts
    sys.exit(tools_main())
