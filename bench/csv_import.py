"""Speed of ``brain import-csv`` on the real field logs (skipped when ../shared/data/field is absent).

Prints, for each shipped mapping with its log: rows, wall time and rows per second.
Usage: python bench/csv_import.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import structlog

ROOT = Path(__file__).resolve().parent.parent
FIELD = ROOT.parent / "shared" / "data" / "field"
LOGS = {
    "osu2024": "osu2024_tomato_reference_environment.csv",
    "cornell2020": "cornell2020_tomato_co2lassi_environment_2020-12-10_2021-01-09.csv",
    "agc2019_grodansens": "agc2019_tomato_reference_grodansens_2020-02-01_2020-03-14.csv",
}


def main() -> None:
    """Print one line per field log."""
    from brain.sources.csv.importer import import_csv
    from brain.sources.csv.mapping import load_mapping

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    if not FIELD.is_dir():
        print(f"field data absent ({FIELD}): nothing to measure")
        return
    with tempfile.TemporaryDirectory() as tmp:
        for mapping, name in LOGS.items():
            started = time.perf_counter()
            summary = import_csv(FIELD / name, load_mapping(mapping), Path(tmp) / f"{mapping}.jsonl")
            seconds = time.perf_counter() - started
            rate = summary.written / seconds
            print(f"{mapping:<20} {summary.written:>7} rows  {seconds:7.3f} s  {rate:>9.0f} rows/s")


if __name__ == "__main__":
    main()
