"""One error hierarchy, so callers can catch by meaning rather than by module.

Every error carries what a person needs to fix it: the key and file for a
configuration error, the path and line for bad input, the stream for storage.
"""

from __future__ import annotations


class BrainError(Exception):
    """Base of every error brain raises on purpose."""


class ConfigError(BrainError):
    """A setting is invalid; the daemon must stop before it starts (exit 78)."""

    def __init__(self, message: str, *, key: str | None = None, file: str | None = None) -> None:
        self.key = key
        self.file = file
        where = ", ".join(
            part for part in (f"key={key}" if key else "", f"file={file}" if file else "") if part
        )
        super().__init__(f"{message} ({where})" if where else message)


class StorageError(BrainError):
    """Writing or reading a JSONL stream failed."""


class SourceError(BrainError):
    """A source cannot produce observations (bad file, fail-fast policy hit)."""


class SensorReadError(BrainError):
    """One sensor could not be read; the hardware source turns it into a null reading."""
