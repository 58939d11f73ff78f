"""Import of other loggers' CSV field logs into ObservationV1 JSONL, through a column mapping.

``mapping`` reads a mapping (shipped ones in ``mappings/``), ``importer`` converts
a CSV with it; the ``brain import-csv`` command line is :mod:`brain.cli.import_csv`
(docs/sources.md describes the mapping format).
"""
