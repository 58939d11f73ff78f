"""ReplaySource: brain's own JSONL logs played back as a source, in strictly increasing time.

A thin layer on :func:`brain.storage.reader.iter_records` (one parser for
everything brain wrote): it reads a single file, a ``run_YYYYMMDD`` directory
or a whole data root, across rotated and gzipped parts, streaming (memory does
not grow with the length of the log).

Why observations that go back in time are dropped, not reordered: the daemon
schedules each poll at the observation's own timestamp, so the stream it sees
must be strictly increasing; a duplicate or a step back is reported (logged
with file and line, counted in :attr:`ReplaySource.dropped_out_of_order`) and
left out. Sorting would need the whole log in memory and would hide the fault.

Replayed observations carry ``source = "replay"``, so the records of a replay
run say where their input came from. The device status of each observation is
the ``device_status`` record with the same timestamp and site, when the path
holds that stream; otherwise a status with no devices (nothing is known). A
single observations file has no device status stream.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import structlog
from pydantic import BaseModel, ConfigDict

from brain.contracts import DeviceStatusV1, ObservationSource, ObservationV1
from brain.errors import SourceError, StorageError
from brain.settings_types import SettingPath
from brain.storage.reader import MalformedLinePolicy, RecordStream

log = structlog.get_logger(__name__)

M = TypeVar("M", bound=BaseModel)


class ReplaySettings(BaseModel):
    """The ``[replay]`` settings: what ``--replay`` plays back and how it treats bad lines."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    path: SettingPath | None = None
    """File, run directory or data root to replay (never empty)."""
    on_malformed: MalformedLinePolicy = MalformedLinePolicy.SKIP
    """A malformed line: skip it (logged with file and line) or stop the replay."""


class ReplaySource:
    """Plays back the ``observations`` (and ``device_status``) streams under ``path``."""

    def __init__(
        self, path: os.PathLike[str] | str, *, policy: MalformedLinePolicy = MalformedLinePolicy.SKIP
    ) -> None:
        path = Path(path)
        try:
            self._observations = RecordStream(path, "observations", ObservationV1, policy=policy)
            self._statuses = (
                None if path.is_file() else RecordStream(path, "device_status", DeviceStatusV1, policy=policy)
            )
        except StorageError as exc:
            raise SourceError(f"cannot replay {path}: {exc}") from exc
        self._path = path
        self._pending: ObservationV1 | None = None
        self._ended = False
        self._last: ObservationV1 | None = None
        self._last_status: DeviceStatusV1 | None = None
        self._next_status: DeviceStatusV1 | None = None
        self.dropped_out_of_order = 0
        """Observations left out because their timestamp was not after the previous one."""

    @property
    def malformed_lines(self) -> int:
        """Lines skipped as malformed, in both streams."""
        statuses = self._statuses.malformed if self._statuses is not None else 0
        return self._observations.malformed + statuses

    def next_timestamp(self) -> datetime | None:
        """The timestamp of the observation :meth:`next_observation` will return, or ``None`` at the end."""
        pending = self._peek()
        return pending.timestamp if pending is not None else None

    def next_observation(self) -> ObservationV1 | None:
        """The next observation in strictly increasing time, or ``None`` from the end on."""
        observation = self._peek()
        if observation is None:
            return None
        self._pending = None
        self._last = observation
        self._last_status = self._status_for(observation)
        return observation

    def device_status(self) -> DeviceStatusV1:
        """The relay states recorded with the observation returned last."""
        if self._last_status is None:
            raise SourceError("device_status() called before the first observation")
        return self._last_status

    def close(self) -> None:
        """Close the files being read; idempotent."""
        self._ended = True
        self._pending = None
        self._observations.close()
        if self._statuses is not None:
            self._statuses.close()

    def _peek(self) -> ObservationV1 | None:
        if self._pending is None and not self._ended:
            self._pending = self._read_next()
            self._ended = self._pending is None
        return self._pending

    def _read_next(self) -> ObservationV1 | None:
        previous = self._last.timestamp if self._last is not None else None
        while (observation := self._next_valid(self._observations)) is not None:
            if previous is not None and observation.timestamp <= previous:
                self._drop(observation, previous)
                continue
            # The instance was just parsed and nothing else holds it, so it is marked in place:
            # model_copy would cost more than parsing the line did.
            object.__setattr__(observation, "source", ObservationSource.REPLAY)
            return observation
        return None

    def _drop(self, observation: ObservationV1, previous: datetime) -> None:
        self.dropped_out_of_order += 1
        path, line = self._observations.location or (self._path, 0)
        log.warning(
            "replay_observation_dropped",
            file=str(path),
            line=line,
            reason="duplicate" if observation.timestamp == previous else "out_of_order",
            timestamp=observation.timestamp.isoformat(),
            previous=previous.isoformat(),
            dropped=self.dropped_out_of_order,
        )

    def _status_for(self, observation: ObservationV1) -> DeviceStatusV1:
        """The status with the same timestamp and site, reading the status stream forward only."""
        if self._statuses is not None:
            status = self._next_status
            while status is None or status.timestamp < observation.timestamp:
                status = self._next_valid(self._statuses)
                if status is None:
                    break
            self._next_status = status
            if (
                status is not None
                and status.timestamp == observation.timestamp
                and status.site_id == observation.site_id
            ):
                return status
        return DeviceStatusV1(
            schema_version="1.0", timestamp=observation.timestamp, site_id=observation.site_id, devices={}
        )

    @staticmethod
    def _next_valid(records: RecordStream[M]) -> M | None:
        """The next valid record; a malformed line under the fail policy stops the replay."""
        try:
            return next(records, None)
        except StorageError as exc:
            raise SourceError(f"replay stopped: {exc}") from exc
