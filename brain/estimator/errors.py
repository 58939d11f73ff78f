"""Errors the estimator raises for observations it will not take.

Why errors and not silence: a duplicate or out-of-order observation usually
means a replayed log with overlapping files or a source bug; the daemon logs
the error (it names both timestamps) and skips the observation, and the
estimator's state stays exactly as it was.
"""

from __future__ import annotations

from datetime import datetime

from brain.errors import BrainError


class ObservationOrderError(BrainError):
    """An observation is not newer than the one before it; the estimator did not take it."""

    def __init__(self, message: str, *, timestamp: datetime, previous: datetime) -> None:
        self.timestamp = timestamp
        self.previous = previous
        super().__init__(f"{message}: {timestamp.isoformat()} after {previous.isoformat()}")


class DuplicateObservationError(ObservationOrderError):
    """An observation carries the same timestamp as the one before it."""


class OutOfOrderObservationError(ObservationOrderError):
    """An observation is older than the one before it, by less than a wall-clock step."""
