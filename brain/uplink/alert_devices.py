"""The house's latest device status, for the alert policy's "already acting" (issue 28, item 2).

Why no cursor: the policy asks what the fans, vents and cooling are doing now, not what they
did; the ``device_status`` stream is followed from the end of the log at start (its plain
parts read through :data:`READ_BATCH` lines at a time, keeping the last record; compressed
history sealed unread) and then as it grows. An anomaly read from a look-back after a damaged
cursor is judged against the devices of now: the one approximation, and it errs towards
pushing only when the devices have since stopped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from brain.uplink.follow import PartIndex, StreamFollower
from brain.uplink.records import read_record

STREAM = "device_status"
READ_BATCH = 100


class DeviceWatch:
    """The latest ``device_status`` record's fields (``{}`` before one) and its time."""

    def __init__(self, index: PartIndex) -> None:
        sealed = max((part.key for part in index.parts(STREAM) if part.compressed), default=None)
        self._follower = StreamFollower(index, STREAM, {}, sealed)
        self.latest: dict[str, Any] = {}
        self.time: datetime | None = None
        self.read()

    def read(self) -> None:
        """Read what is new; a malformed line is passed over (the anomaly alerts log theirs)."""
        while lines := self._follower.read(READ_BATCH):
            for line in lines:
                try:
                    record = read_record(line.data)
                except ValueError:
                    continue
                self.latest, self.time = record.data, record.timestamp

    def close(self) -> None:
        """Close the part being read."""
        self._follower.close()
