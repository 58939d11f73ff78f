"""The ``[storage]`` settings: how records reach the disk (docs/storage.md), validated once by pydantic.

Why storage owns its section: the writer, the daemon's sink and retention read
these values, and ``brain.config`` composes this model into the whole
configuration, so a key, its bound and its meaning are written in one place.
The site time zone is a top-level setting, not a storage one: the writer takes
it as its own argument. Tests and tools build a writer without a whole
configuration::

    DatasetWriter(root, StorageSettings(fsync="always"), timezone="Europe/Amsterdam")
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class FsyncPolicy(StrEnum):
    """When written records are forced to the medium (docs/storage.md, "The durability promise")."""

    ALWAYS = "always"
    """fsync after every record: nothing acknowledged is ever lost, at one fsync per record."""
    BATCH = "batch"
    """Group commit: fsync every ``batch_records`` records or ``batch_seconds``, whichever first."""
    NEVER = "never"
    """Leave it to the kernel (about 30 s on Linux); nothing is ever acknowledged as durable."""


class UnserializablePolicy(StrEnum):
    """What to do with a record that cannot be turned into JSON."""

    RAISE = "raise"
    SKIP = "skip"


class StorageSettings(BaseModel):
    """How records reach the disk: durability, rotation, retention (``[storage]``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fsync: FsyncPolicy = FsyncPolicy.BATCH
    """Durability policy: fsync every record, every batch, or leave it to the OS."""
    batch_records: Annotated[int, Field(strict=True, ge=1, le=100_000)] = 10_000
    """With fsync=batch: fsync at the latest after this many records."""
    batch_seconds: Annotated[float, Field(strict=True, gt=0, le=3600, allow_inf_nan=False)] = 5.0
    """With fsync=batch: fsync at the latest this many seconds after the first unsynced record."""
    max_file_bytes: Annotated[int, Field(strict=True, ge=1)] = 64 * 1024 * 1024
    """Size at which a stream file is rotated to the next numbered part."""
    on_unserializable: UnserializablePolicy = UnserializablePolicy.SKIP
    """A record that cannot be serialised: raise, or skip it with a logged error."""
    retention_days: Annotated[int, Field(strict=True, ge=1)] = 400
    """Run directories older than this many days are deleted."""
    compress_after_days: Annotated[int, Field(strict=True, ge=1)] = 7
    """Run directories older than this many days are gzip-compressed."""
    backlog_max_records: Annotated[int, Field(strict=True, ge=0)] = 100_000
    """Records held in memory while the disk refuses writes (disk full); oldest dropped beyond."""
