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

Two kinds of time are rejected outright (reported, counted in
:attr:`ReplaySource.rejected_timestamps`), because taking them would cost the
rest of the replay:

- a time outside :data:`brain.contracts.SCHEDULABLE` (2000 to 2100 UTC): year 1
  or 9999 is a broken clock or a typo, and no date arithmetic should see it;
- a lone jump: a record more than
  :data:`~brain.sources.time_order.MAX_UNCONFIRMED_JUMP` (30 days) after the one
  before it is taken only when the record after it is later still. One record
  dated 2031 in a 2024 log is followed by a 2024 record, so it is the outlier, not
  the thousands of 2024 records after it (which "not after the previous one" would
  otherwise drop). A jump at the very end has nothing to confirm it and is
  rejected too; the first record is rejected when the one after it is that much
  earlier. Two records that agree with each other are a new time, not an outlier:
  a log whose clock was really reset keeps the later records, as before.

Input with nothing to replay (an empty file, a folder without observations, only
malformed lines, or :data:`GIVE_UP_AFTER` malformed lines before the first valid
one) raises :class:`ReplayInputError`, whose ``hint`` says what to do (for a CSV:
the ``brain import-csv`` command); ``brain-daemon`` exits 65 with it.

Replayed observations carry ``source = "replay"``, so the records of a replay
run say where their input came from. The device status of each observation is
the ``device_status`` record with the same timestamp and site, when the path
holds that stream; otherwise a status with no devices (nothing is known). A
single file has no device status stream of its own, unless its sidecar names one
(``brain import-csv`` of a mapping with ``[devices]`` writes ``OUT.device_status.jsonl``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from brain.contracts import DeviceStatusV1, ObservationSource, ObservationV1
from brain.errors import BrainError, SourceError, StorageError
from brain.settings_types import SettingPath
from brain.sources.replay_input import ReplayInputError, not_a_file_or_folder, nothing_to_replay
from brain.sources.sidecar import read_sidecar
from brain.sources.time_order import InTimeOrder
from brain.storage import MalformedLinePolicy, RecordStream, UnrecognisedInputError
from brain.storage.reader import Located

__all__ = ["GIVE_UP_AFTER", "ReplayInputError", "ReplaySettings", "ReplaySource"]

T = TypeVar("T", ObservationV1, DeviceStatusV1)

GIVE_UP_AFTER = 100
"""Malformed or rejected lines before the first valid observation after which a replay gives up.

Why 100: a damaged log has a bad line here and there, never a hundred in a row
at its start; a CSV field log, another program's JSON or a binary file has
nothing else, and reading it to its end would only log one warning per line.
"""


class ReplaySettings(BaseModel):
    """The ``[replay]`` settings: what ``--replay`` plays back and how it treats bad lines."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: SettingPath | None = None
    """File, run directory or data root to replay (never empty)."""
    on_malformed: MalformedLinePolicy = MalformedLinePolicy.SKIP
    """A malformed line: skip it (logged with file and line) or stop the replay."""


class ReplaySource:
    """Plays back the ``observations`` (and ``device_status``) streams under ``path``.

    ``path`` is a file, a run directory or a data root, or several run directories
    read as one stream (restart recovery reads the last days so). ``check_input``:
    input with nothing to replay raises :class:`ReplayInputError` (module docstring);
    recovery reads stored runs with ``False``, where a run without observations is
    no error.
    """

    def __init__(
        self,
        path: os.PathLike[str] | str | Sequence[os.PathLike[str] | str],
        *,
        policy: MalformedLinePolicy = MalformedLinePolicy.SKIP,
        check_input: bool = True,
    ) -> None:
        single: Path | None = None
        if isinstance(path, str | os.PathLike):
            single = Path(path)
            _refuse_special_file(single)
            paths = [single]
        else:
            paths = [Path(each) for each in path]
        give_up_after = GIVE_UP_AFTER if check_input else None
        try:
            observations = RecordStream(
                paths, "observations", ObservationV1, policy=policy, give_up_after=give_up_after
            )
            status_paths = _status_paths(single, paths)
            statuses = (
                None
                if not status_paths
                else RecordStream(status_paths, "device_status", DeviceStatusV1, policy=policy)
            )
        except StorageError as exc:
            raise SourceError(f"cannot replay {path}: {exc}") from exc
        self._observations = InTimeOrder(observations, "replay_observation_dropped")
        self._statuses = None if statuses is None else InTimeOrder(statuses, "replay_device_status_dropped")
        self.has_device_status = statuses is not None and bool(statuses.files)
        """Whether the input has a device status stream; without one every poll's status is empty."""
        self._path = paths[0] if paths else Path()
        self._check_input = check_input
        self._pending: Located[ObservationV1] | None = None
        self.location: tuple[Path, int] | None = None
        """File and line of the observation returned last."""
        self._ended = False
        self._last: ObservationV1 | None = None
        self._last_status: DeviceStatusV1 | None = None
        self._next_status: DeviceStatusV1 | None = None

    @property
    def malformed_lines(self) -> int:
        """Lines skipped as malformed, in both streams."""
        statuses = self._statuses.records.malformed if self._statuses is not None else 0
        return self._observations.records.malformed + statuses

    @property
    def dropped_out_of_order(self) -> int:
        """Observations left out because their timestamp was not after the previous one."""
        left_out = self._observations.left_out
        return left_out["duplicate"] + left_out["out_of_order"]

    @property
    def rejected_timestamps(self) -> int:
        """Observations left out for a time brain cannot act on: outside 2000-2100, or a lone jump."""
        return self._observations.total_left_out - self.dropped_out_of_order

    def next_timestamp(self) -> datetime | None:
        """The timestamp of the observation :meth:`next_observation` will return, or ``None`` at the end."""
        pending = self._peek()
        return pending.record.timestamp if pending is not None else None

    def next_observation(self) -> ObservationV1 | None:
        """The next observation in strictly increasing time, or ``None`` from the end on."""
        pending = self._peek()
        if pending is None:
            return None
        self._pending = None
        observation = pending.record
        self.location = (pending.path, pending.line)
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
        self._observations.records.close()
        if self._statuses is not None:
            self._statuses.records.close()

    def _peek(self) -> Located[ObservationV1] | None:
        if self._pending is None and not self._ended:
            self._pending = self._next_in_order(self._observations)
            self._ended = self._pending is None
            if self._ended and self._last is None and self._check_input:
                raise nothing_to_replay(self._path, self._what_was_read())
        return self._pending

    def _what_was_read(self) -> str:
        """Why nothing could be replayed, in words: the files and lines found."""
        stream = self._observations
        if not stream.records.files:
            return "no observations file found"
        malformed, left_out = stream.records.malformed, stream.total_left_out
        if malformed + left_out == 0:
            if self._path.is_file():
                return "the file is empty"
            return f"its {len(stream.records.files)} observations parts are empty"
        rejected = f", {left_out} with a time brain cannot schedule" if left_out else ""
        return f"no valid observation ({malformed} malformed lines{rejected})"

    def _status_for(self, observation: ObservationV1) -> DeviceStatusV1:
        """The status with the same timestamp and site, reading the status stream forward only."""
        if self._statuses is not None:
            status = self._next_status
            while status is None or status.timestamp < observation.timestamp:
                located = self._next_in_order(self._statuses)
                status = located.record if located is not None else None
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

    def _next_in_order(self, stream: InTimeOrder[T]) -> Located[T] | None:
        """The stream's next record in time; a malformed line under the fail policy stops the replay."""
        try:
            located = stream.next()
        except UnrecognisedInputError as exc:
            why = f"the first {exc.lines} lines hold no valid observation (the first: {exc.first_reason})"
            raise nothing_to_replay(self._path, why) from exc
        except StorageError as exc:
            raise SourceError(f"replay stopped: {exc}") from exc
        if located is not None and isinstance(located.record, ObservationV1):
            # The instance was just parsed and nothing else holds it, so it is marked in place:
            # model_copy would cost more than parsing the line did.
            object.__setattr__(located.record, "source", ObservationSource.REPLAY)
        return located


def _refuse_special_file(path: Path) -> None:
    """A FIFO, a device or a socket given as the replay path is refused before anything opens it."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # missing or unreadable: the reader says so, naming the path
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise not_a_file_or_folder(path, mode)


def _status_paths(single: Path | None, paths: list[Path]) -> list[Path]:
    """Where the device statuses are: beside the observations in a folder, or the file a sidecar names."""
    if single is None or not single.is_file():
        return paths
    try:
        meta = read_sidecar(single)
    except BrainError:  # a broken sidecar: the zone check reports it; the statuses are simply not known
        return []
    name = meta.get("device_status") if meta is not None else None
    if not isinstance(name, str) or "/" in name:
        return []
    beside = single.with_name(name)
    return [beside] if beside.is_file() else []
