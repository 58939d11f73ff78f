"""Durable JSONL storage: the writer, the reader, the dataset layout, retention and the public export.

Layout: ``DATA_ROOT/run_YYYYMMDD/<stream>.NNNN.jsonl`` (docs/storage.md). The
daemon builds a :class:`DatasetWriter` from ``[storage]`` (:class:`StorageSettings`)
and the site time zone; replay and tools read with :func:`iter_records`; a restart cuts back what
a power cut tore with :func:`repair_run_tails`. ``DATA_ROOT/manifest.json`` says which run the
folder holds (:func:`read_manifest`, :func:`write_manifest`, :func:`identity_differences`);
``brain status`` finds the newest part of a stream with :func:`stream_parts` and reads only its tail.
"""

from __future__ import annotations

from brain.regular_files import file_kind
from brain.storage.dataset import DatasetManager, StreamPart, stream_parts
from brain.storage.durable import replace_file
from brain.storage.errors import (
    DataRootBusyError,
    DataRootUnwritableError,
    DiskError,
    DiskFullError,
    DiskIOError,
    MalformedLineError,
    TimestampOutOfRangeError,
    UnknownStreamError,
    UnrecognisedInputError,
    UnserializableRecordError,
)
from brain.storage.fingerprint import first_line, stream_fingerprint
from brain.storage.lock import DataRootLock
from brain.storage.manifest import (
    MANIFEST_NAME,
    Difference,
    ManifestError,
    identity_differences,
    manifest_at_start,
    manifest_path,
    read_manifest,
    write_manifest,
)
from brain.storage.reader import (
    MAX_LINE_BYTES,
    MAX_LOGGED_MALFORMED,
    MalformedLine,
    MalformedLinePolicy,
    RecordStream,
    iter_records,
)
from brain.storage.repair import TornTail, repair_run_tails
from brain.storage.retention import RetentionReport, apply_retention
from brain.storage.settings import FsyncPolicy, StorageSettings, UnserializablePolicy
from brain.storage.writer import DatasetWriter

__all__ = [
    "MANIFEST_NAME",
    "MAX_LINE_BYTES",
    "MAX_LOGGED_MALFORMED",
    "DataRootBusyError",
    "DataRootLock",
    "DataRootUnwritableError",
    "DatasetManager",
    "DatasetWriter",
    "Difference",
    "DiskError",
    "DiskFullError",
    "DiskIOError",
    "FsyncPolicy",
    "MalformedLine",
    "MalformedLineError",
    "MalformedLinePolicy",
    "ManifestError",
    "RecordStream",
    "RetentionReport",
    "StorageSettings",
    "StreamPart",
    "TimestampOutOfRangeError",
    "TornTail",
    "UnknownStreamError",
    "UnrecognisedInputError",
    "UnserializablePolicy",
    "UnserializableRecordError",
    "apply_retention",
    "file_kind",
    "first_line",
    "identity_differences",
    "iter_records",
    "manifest_at_start",
    "manifest_path",
    "read_manifest",
    "repair_run_tails",
    "replace_file",
    "stream_fingerprint",
    "stream_parts",
    "write_manifest",
]
