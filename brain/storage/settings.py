"""The writer's settings, as a plain frozen value the daemon builds from ``[storage]``.

Why not pass :class:`brain.config.StorageConfig` itself: storage also needs the
site time zone (a top-level setting), and tests and tools build writers without
a whole configuration. The defaults are read from ``StorageConfig`` so there is
one source of truth for them (documented in docs/configuration.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from brain.config import StorageConfig
from brain.errors import ConfigError
from brain.timezones import known_time_zone

_DEFAULTS = StorageConfig()


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


_DEFAULT_FSYNC = FsyncPolicy(_DEFAULTS.fsync)
_DEFAULT_ON_UNSERIALIZABLE = UnserializablePolicy(_DEFAULTS.on_unserializable)


@dataclass(frozen=True)
class StorageSettings:
    """How a :class:`brain.storage.writer.DatasetWriter` writes; see docs/storage.md for each field."""

    fsync: FsyncPolicy = _DEFAULT_FSYNC
    batch_records: int = _DEFAULTS.batch_records
    batch_seconds: float = _DEFAULTS.batch_seconds
    max_file_bytes: int = _DEFAULTS.max_file_bytes
    timezone: str = "UTC"
    on_unserializable: UnserializablePolicy = _DEFAULT_ON_UNSERIALIZABLE

    def __post_init__(self) -> None:
        """Refuse settings that would make the writer misbehave later, naming the key.

        Policies given as plain strings (``"always"``) are turned into their enums,
        so a caller passing configuration values straight through gets what it asked for.
        """
        for key, enum in (("fsync", FsyncPolicy), ("on_unserializable", UnserializablePolicy)):
            try:
                object.__setattr__(self, key, enum(getattr(self, key)))
            except ValueError as exc:
                raise ConfigError(
                    f"must be one of {[member.value for member in enum]}", key=f"storage.{key}"
                ) from exc
        if self.batch_records < 1:
            raise ConfigError("must be at least 1", key="storage.batch_records")
        if self.batch_seconds <= 0:
            raise ConfigError("must be positive", key="storage.batch_seconds")
        if self.max_file_bytes < 1:
            raise ConfigError("must be positive", key="storage.max_file_bytes")
        try:
            known_time_zone(self.timezone)
        except ValueError as exc:
            raise ConfigError(str(exc), key="timezone") from exc

    @property
    def zone(self) -> ZoneInfo:
        """The site time zone whose midnight starts a new run directory."""
        return ZoneInfo(self.timezone)

    @classmethod
    def from_config(cls, config: StorageConfig, *, timezone: str) -> StorageSettings:
        """Build the writer's settings from the validated ``[storage]`` section and the site zone."""
        return cls(
            fsync=FsyncPolicy(config.fsync),
            batch_records=config.batch_records,
            batch_seconds=config.batch_seconds,
            max_file_bytes=config.max_file_bytes,
            timezone=timezone,
            on_unserializable=UnserializablePolicy(config.on_unserializable),
        )
