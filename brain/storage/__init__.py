"""Durable JSONL storage: the writer, the reader, the dataset layout, retention and the public export.

Layout: ``DATA_ROOT/run_YYYYMMDD/<stream>.NNNN.jsonl`` (docs/storage.md). The
daemon builds a :class:`DatasetWriter` from ``[storage]`` (:class:`StorageSettings`)
and the site time zone; replay and tools read with :func:`iter_records`; a restart cuts back what
a power cut tore with :func:`repair_run_tails`; ``brain status`` finds the newest part of a stream with
:func:`stream_parts` and reads only its tail.
"""

from __future__ import annotations

from brain.storage.dataset import DatasetManager, StreamPart, stream_parts
from brain.storage.errors import (
    DiskError,
    DiskFullError,
    DiskIOError,
    MalformedLineError,
    UnknownStreamError,
    UnserializableRecordError,
)
from brain.storage.reader import MalformedLine, MalformedLinePolicy, RecordStream, iter_records
from brain.storage.repair import TornTail, repair_run_tails
from brain.storage.retention import RetentionReport, apply_retention
from brain.storage.settings import FsyncPolicy, StorageSettings, UnserializablePolicy
from brain.storage.writer import DatasetWriter

__all__ = [
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
    "StreamPart",
    "TornTail",
    "UnknownStreamError",
    "UnserializablePolicy",
    "UnserializableRecordError",
    "apply_retention",
    "iter_records",
    "repair_run_tails",
    "stream_parts",
]
