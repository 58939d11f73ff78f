"""HardwareSource: one poll reads every sensor once and every relay once, and never raises.

It implements brain's live :class:`~brain.sources.base.Source` (no
``next_timestamp``: it never ends, and reads when called). Each poll is stamped
with the daemon's clock (``now``), taken before any device is touched, so the
observation and the device status of a poll carry the same instant.

Which sensor fills which key: every driver reports the keys its table lists in
``provides``. When several sensors provide the same key, the first one in the
configuration that returned a value wins and the later ones are fallbacks (an
SHT31-D backed up by a DHT22, say). A key no sensor could fill is ``null`` with
every provider's reason in ``errors``; a key no sensor provides at all is
``null`` with "no sensor configured".

The first poll is the start-up self-test: each configured sensor and relay is
logged once as ``hardware_self_test`` with what was found (``found`` at info;
``not found``, ``reading out of range`` or ``no reading`` at warning, with the
reason), so the journal of a fresh start says which wire to check.
:meth:`HardwareSource.self_test` returns the same results, for
``brain config check --hardware``.

Logging follows changes, not polls: a sensor that starts failing is logged once
(``sensor_failing``) and once more when it recovers (``sensor_recovered``),
so a dead sensor costs one journal line, not 1 440 a day; its reason is in
every observation anyway.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

import structlog

from brain.contracts import (
    SENSOR_KEYS,
    DeviceStatusV1,
    ObservationSource,
    ObservationV1,
    RelayState,
    SensorKey,
    SensorReadings,
)
from brain.errors import SourceError
from brain.sources.base import DeviceProbe, ProbeStatus
from hardware.bounded import BoundedReader, ReadOutcome
from hardware.drivers.base import SensorDriver

log = structlog.get_logger(__name__)

MAX_ERROR_CHARS = 500
"""``ObservationV1.errors`` texts are limited to this length."""
NOT_CONFIGURED = "no sensor configured"


class RelayReader(Protocol):
    """What the source needs of :class:`hardware.relays.RelayBank`."""

    def read(self) -> dict[str, RelayState]: ...  # noqa: D102

    def reasons(self) -> dict[str, str]: ...  # noqa: D102

    def close(self) -> None: ...  # noqa: D102


class Closeable(Protocol):
    """Anything released when the source closes (the shared I2C bus)."""

    def close(self) -> None: ...  # noqa: D102


class HardwareSource:
    """The live source on the Pi: sensors through their drivers, relays through gpiozero."""

    source = ObservationSource.HARDWARE

    def __init__(
        self,
        *,
        site_id: str,
        now: Callable[[], datetime],
        drivers: Sequence[SensorDriver],
        relays: RelayReader,
        read_timeout_s: float,
        resources: Sequence[Closeable] = (),
    ) -> None:
        self._site_id = site_id
        self._now = now
        self._drivers = tuple(drivers)
        self._relays = relays
        self._resources = tuple(resources)
        self._reader = BoundedReader(read_timeout_s)
        self._providers: dict[SensorKey, list[SensorDriver]] = {key: [] for key in SENSOR_KEYS}
        for driver in self._drivers:
            for key in driver.keys:
                self._providers[key].append(driver)
        self._failing: dict[str, str] = {}
        self._last_status: DeviceStatusV1 | None = None
        self._probes: list[DeviceProbe] | None = None
        self._closed = False
        unconfigured = [key.value for key, providers in self._providers.items() if not providers]
        if unconfigured:
            log.warning("sensor_keys_unconfigured", keys=unconfigured)

    def next_observation(self) -> ObservationV1:
        """Poll every sensor and relay once; failed sensors read ``null`` with their reason."""
        if self._closed:
            raise SourceError("the hardware source is closed")
        timestamp = self._now()
        outcomes = self._reader.read_all(self._drivers)
        self._log_changes(outcomes)
        readings: dict[str, float | None] = {}
        errors: dict[SensorKey, str] = {}
        for key in SENSOR_KEYS:
            value, error = self._pick(key, outcomes)
            readings[key.value] = value
            if error is not None:
                errors[key] = error[:MAX_ERROR_CHARS]
        self._last_status = DeviceStatusV1(
            schema_version="1.0",
            timestamp=timestamp,
            site_id=self._site_id,
            devices=self._relays.read(),
        )
        if self._probes is None:
            self._probes = self._self_test(outcomes, self._last_status.devices)
        return ObservationV1(
            schema_version="1.0",
            timestamp=timestamp,
            site_id=self._site_id,
            source=ObservationSource.HARDWARE,
            sensors=SensorReadings.model_validate(readings),
            errors=errors,
        )

    def self_test(self) -> list[DeviceProbe]:
        """Each configured sensor's and relay's result in the first poll (polling once if none was made)."""
        if self._probes is None:
            self.next_observation()  # sets them
        return list(self._probes or ())

    def device_status(self) -> DeviceStatusV1:
        """The relays read in the poll of the observation last returned."""
        if self._last_status is None:
            raise SourceError("device_status() called before the first observation")
        return self._last_status

    def close(self) -> None:
        """Release pins and buses; idempotent. A read still hung is left to its daemon thread."""
        if self._closed:
            return
        self._closed = True
        hung = self._reader.hung
        if hung:
            log.warning("sensor_reads_hung_at_close", sensors=list(hung))
        for driver in self._drivers:
            driver.close()
        self._relays.close()
        for resource in self._resources:
            resource.close()

    def _pick(self, key: SensorKey, outcomes: Mapping[str, ReadOutcome]) -> tuple[float | None, str | None]:
        providers = self._providers[key]
        if not providers:
            return None, NOT_CONFIGURED
        reasons = []
        for driver in providers:
            outcome = outcomes[driver.label]
            value = outcome.values.get(key)
            if value is not None and math.isfinite(value):
                return value, None
            reasons.append(f"{driver.label}: {outcome.error or f'returned no usable value ({value!r})'}")
        return None, "; ".join(reasons)

    def _self_test(
        self, outcomes: Mapping[str, ReadOutcome], relays: Mapping[str, RelayState]
    ) -> list[DeviceProbe]:
        """Turn the first poll into one line per device, logged once."""
        probes = [
            DeviceProbe(
                device=label,
                kind="sensor",
                status=outcome.status,
                detail=outcome.error
                or ", ".join(f"{key.value}={value:g}" for key, value in outcome.values.items()),
            )
            for label, outcome in outcomes.items()
        ]
        reasons = self._relays.reasons()
        for name, state in relays.items():
            if state is RelayState.UNKNOWN:
                probes.append(
                    DeviceProbe(name, "relay", ProbeStatus.NOT_FOUND, reasons.get(name, "unreadable"))
                )
            else:
                probes.append(DeviceProbe(name, "relay", ProbeStatus.FOUND, state.value))
        for probe in probes:
            ok = probe.status is ProbeStatus.FOUND
            emit = log.info if ok else log.warning
            details = {"reading" if ok else "error": probe.detail}
            emit(
                "hardware_self_test",
                device=probe.device,
                kind=probe.kind,
                status=probe.status.value,
                **details,
            )
        found = sum(probe.status is ProbeStatus.FOUND for probe in probes)
        log.info("hardware_self_test_done", found=found, configured=len(probes))
        return probes

    def _log_changes(self, outcomes: Mapping[str, ReadOutcome]) -> None:
        for label, outcome in outcomes.items():
            was = self._failing.get(label)
            if outcome.error is not None and was is None:
                log.warning("sensor_failing", sensor=label, error=outcome.error)
                self._failing[label] = outcome.error
            elif outcome.error is None and was is not None:
                log.info("sensor_recovered", sensor=label, last_error=was)
                del self._failing[label]
