"""The Source protocol: the one interface the daemon polls, whatever feeds it.

Why a protocol and not a base class: the hardware source lives in another
package and the fakes in tests are plain classes; neither should inherit
behaviour from brain, only promise these methods.

Semantics every source obeys (checked by ``tests/sources/test_interface.py``):

- ``next_observation()`` returns the next :class:`ObservationV1`, or ``None``
  at the end of the stream; once it returned ``None`` it keeps returning ``None``.
  A live source (hardware) never ends; it reads the sensors when called.
- ``device_status()`` returns the :class:`DeviceStatusV1` read in the same poll
  as the observation last returned (same timestamp and site). Calling it before
  the first observation is a programming error (``SourceError``).
- Bad input never escapes as an exception under the skip policy: it is logged
  with where it came from and counted; the stream goes on. Only input with nothing
  to replay at all is an error, before the first observation
  (:class:`brain.sources.replay.ReplayInputError`).
- ``close()`` releases files, pins and buses; it is safe to call twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from brain.contracts import DeviceStatusV1, ObservationV1


@runtime_checkable
class Source(Protocol):
    """Anything the daemon can poll for observations."""

    def next_observation(self) -> ObservationV1 | None:
        """Return the next observation, or ``None`` at the end of the stream."""
        ...

    def device_status(self) -> DeviceStatusV1:
        """Return the relay states read with the observation last returned."""
        ...

    def close(self) -> None:
        """Release what the source holds; idempotent."""
        ...


class ProbeStatus(StrEnum):
    """What a live source's self-test found for one device."""

    FOUND = "found"
    """It answered with readings in its measuring range (a relay: its line reads on or off)."""
    NOT_FOUND = "not found"
    """It could not be opened: nothing at the address, no bus or GPIO chip, a library missing."""
    OUT_OF_RANGE = "reading out of range"
    """It answered with a value outside its datasheet's range: wiring, interference, a wrong address."""
    NO_READING = "no reading"
    """It was opened but gave no value (a timeout, repeated checksum errors)."""


@dataclass(frozen=True)
class DeviceProbe:
    """One configured device's self-test result, as the log and ``brain config check --hardware`` show it."""

    device: str
    """The configured name (``canopy_sht31d``, ``heater``)."""
    kind: str
    """``sensor`` or ``relay``."""
    status: ProbeStatus
    detail: str
    """The readings when found, else the reason."""


@runtime_checkable
class SelfTestingSource(Source, Protocol):
    """A live source that can say, device by device, what it found (the hardware source)."""

    def self_test(self) -> list[DeviceProbe]:
        """Poll once if not done yet; return each configured device's result of the first poll."""
        ...


@runtime_checkable
class TimedSource(Source, Protocol):
    """A source whose stream carries its own time (synthetic, replay).

    The daemon schedules the poll at each observation's own timestamp through
    a trigger built on :meth:`next_timestamp`, so simulated and replayed runs
    go through the same scheduler as live ones and time scale never changes
    what is produced.
    """

    def next_timestamp(self) -> datetime | None:
        """Return the timestamp the next observation will carry, without consuming it."""
        ...


class SourcePlugin(Protocol):
    """What an entry point in the ``brain.sources`` group must be (the ``hardware`` package's is one).

    ``check`` validates the plugin's own configuration section without touching
    any device, raising :class:`brain.errors.ConfigError` with the key and file;
    ``build`` makes the live source.
    """

    def check(self, section: Mapping[str, Any], *, config_file: Path | None) -> None:
        """Validate ``section``; raise ``ConfigError`` naming the key and ``config_file``."""
        ...

    def build(
        self,
        section: Mapping[str, Any],
        *,
        site_id: str,
        config_file: Path | None,
        now: Callable[[], datetime],
    ) -> Source:
        """Return a ready source for ``section``; ``now`` stamps each poll (the daemon's clock)."""
        ...


ENTRY_POINT_GROUP = "brain.sources"
"""Installed packages register source plugins under this entry-point group."""
