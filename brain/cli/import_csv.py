"""``brain import-csv``: argument parsing only, the work is in :mod:`brain.sources.csv`.

The importer is imported only when the command runs, so that building the
``brain`` parser imports nothing heavy; ``brain --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from brain.exit_codes import ExitCode


def add_import_csv(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``brain import-csv``."""
    parser = sub.add_parser(
        "import-csv",
        help="convert another logger's CSV into ObservationV1 JSONL",
        description="Convert a CSV field log into ObservationV1 JSONL using a column mapping "
        "(docs/sources.md describes the mapping format).",
    )
    parser.add_argument("csv", type=Path, help="the CSV file to import")
    parser.add_argument(
        "--mapping",
        required=True,
        metavar="NAME|PATH",
        help="a shipped mapping (osu2024, cornell2020, agc2019_grodansens) or a path to a .toml mapping",
    )
    parser.add_argument(
        "--output",
        "--out",
        dest="output",
        type=Path,
        required=True,
        metavar="FILE",
        help="the .jsonl file to write",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing --output")
    parser.add_argument("--site-id", help="site written into every observation (default: the mapping's)")
    parser.set_defaults(run=run_import_csv)


def run_import_csv(args: argparse.Namespace) -> int:
    """Run the import and print its summary; exit 0 even with skipped rows, 78 bad mapping, 1 bad input.

    A CSV that is not there exits 66 (``NO_INPUT``), like every tool given a missing input.

    An existing ``--output`` is replaced only with ``--force`` (exit 73, CANNOT_CREATE, otherwise):
    an earlier import, or a file that is not one, is never lost to a repeated command.
    """
    from brain.errors import ConfigError, SourceError
    from brain.logging import configure_logging
    from brain.sources.csv.importer import import_csv
    from brain.sources.csv.mapping import load_mapping

    if not args.csv.exists():
        print(f"brain import-csv: no such file {args.csv}", file=sys.stderr)
        return ExitCode.NO_INPUT
    if (args.output.exists() or args.output.is_symlink()) and not args.force:
        print(
            f"brain import-csv: {args.output} exists; pass --force to replace it, or choose another --output",
            file=sys.stderr,
        )
        return ExitCode.CANNOT_CREATE
    # Each skipped row is logged on stderr; the summary goes to stdout.
    configure_logging("auto", "warning", stream=sys.stderr)
    try:
        summary = import_csv(
            args.csv, load_mapping(args.mapping), args.output, site_id=args.site_id, mapping_name=args.mapping
        )
    except ConfigError as exc:
        print(f"brain import-csv: configuration error: {exc}", file=sys.stderr)
        return ExitCode.CONFIG
    except (SourceError, OSError) as exc:
        print(f"brain import-csv: {exc}", file=sys.stderr)
        return ExitCode.FAILURE
    print(summary.render())
    return ExitCode.OK
