"""Durable JSONL storage: the writer, the reader, the dataset layout, retention and the public export.

Layout: ``DATA_ROOT/run_YYYYMMDD/<stream>.NNNN.jsonl`` (docs/storage.md). The
daemon builds a :class:`DatasetWriter` from ``[storage]`` (:class:`StorageSettings`)
and the site time zone; replay and tools read with :func:`iter_records`; a restart cuts back what
a power cut tore with :func:`repair_run_tails`.
"""

from __future__ import annotations

from brain.storage.dataset import DatasetManager
from brain.storage.errors import (
    DiskError,
    DiskFullError,
    DiskIOError,
    MalformedLineError,
    UnknownStreamError,
    UnrecognisedInputError,
    UnserializableRecordError,
)
from brain.storage.reader import (
    MAX_LINE_BYTES,
    MAX_LOGGED_MALFORMED,
    MalformedLine,
    MalformedLinePolicy,
    RecordStream,
    file_kind,
    iter_records,
)
from brain.storage.repair import TornTail, repair_run_tails
from brain.storage.retention import RetentionReport, apply_retention
from brain.storage.settings import FsyncPolicy, StorageSettings, UnserializablePolicy
from brain.storage.writer import DatasetWriter

__all__ = [
    "MAX_LINE_BYTES",
    "MAX_LOGGED_MALFORMED",
    "DatasetManager",
    "DatasetWriter",
    "DiskError",
    "DiskFullError",
    "DiskIOError",
    "FsyncPolicy",
    "MalformedLine",
    "MalformedLineError",
    "MalformedLinePolicy",
    "RecordStream",
    "RetentionReport",
    "StorageSettings",
    "TornTail",
    "UnknownStreamError",
    "UnrecognisedInputError",
    "UnserializablePolicy",
    "UnserializableRecordError",
    "apply_retention",
    "file_kind",
    "iter_records",
    "repair_run_tails",
]
