"""``brain export-public``: copy JSONL logs keeping only the fields that may be shared (docs/storage.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from brain.exit_codes import ExitCode


def add_export_public(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``brain export-public``."""
    parser = sub.add_parser("export-public", help="copy JSONL logs keeping only shareable fields")
    parser.add_argument("src", type=Path, help="a part file, a run directory or a data root")
    parser.add_argument("dst", type=Path, help="new (or empty) directory for the public copy")
    parser.add_argument("--on-malformed", choices=["skip", "fail"], default="skip", help="bad source lines")
    parser.set_defaults(run=run_export_public)


def run_export_public(args: argparse.Namespace) -> int:
    """Export and print the summary; exit 66 if the source is not there, 1 if it cannot be read or copied."""
    from brain.errors import StorageError
    from brain.storage.export import export_public
    from brain.storage.reader import MalformedLinePolicy

    if not args.src.exists():
        print(f"brain export-public: no such file or folder {args.src}", file=sys.stderr)
        return ExitCode.NO_INPUT
    try:
        report = export_public(args.src, args.dst, policy=MalformedLinePolicy(args.on_malformed))
    except StorageError as exc:
        print(f"brain export-public: {exc}", file=sys.stderr)
        return ExitCode.FAILURE
    print(report.summary())
    return ExitCode.OK
