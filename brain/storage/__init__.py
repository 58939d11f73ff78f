"""Durable JSONL storage: the writer, the reader, the dataset layout, retention and the public export.

Layout: ``DATA_ROOT/run_YYYYMMDD/<stream>.NNNN.jsonl`` (docs/storage.md). The
daemon builds a :class:`DatasetWriter` from ``[storage]`` with
:meth:`StorageSettings.from_config`; replay and tools read with
:func:`iter_records`.
"""

from __future__ import annotations

from brain.storage.dataset import DatasetManager
from brain.storage.errors import (
    DataRootBusyError,
    DataRootUnwritableError,
    DiskError,
    DiskFullError,
    DiskIOError,
    MalformedLineError,
    TimestampOutOfRangeError,
    UnknownStreamError,
    UnserializableRecordError,
)
from brain.storage.lock import DataRootLock
from brain.storage.reader import MalformedLine, MalformedLinePolicy, RecordStream, iter_records
from brain.storage.retention import RetentionReport, apply_retention
from brain.storage.settings import FsyncPolicy, StorageSettings, UnserializablePolicy
from brain.storage.writer import DatasetWriter

__all__ = [
    "DataRootBusyError",
    "DataRootLock",
    "DataRootUnwritableError",
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
    "TimestampOutOfRangeError",
    "UnknownStreamError",
    "UnserializablePolicy",
    "UnserializableRecordError",
    "apply_retention",
    "iter_records",
]
