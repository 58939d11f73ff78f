"""What a poll revealed, logged at the level a grower's filter needs.

Why levels matter: docs/deployment.md tells a grower ``journalctl -u brain -p warning``
for "what went wrong today", so what needs a look must be a warning or an error and
nothing else may be:

| event | level |
|---|---|
| ``anomaly_started`` | ``warning``; ``error`` when critical |
| ``anomaly_severity_changed`` (escalated or eased within an episode) | ``warning``; ``error`` if critical |
| ``anomaly_ended`` | ``info`` |
| ``sensor_health_changed``, a sensor turning worse (``worse=``) | ``warning`` |
| ``sensor_health_changed`` otherwise (a recovery: ``recovered=``) | ``info`` |
| ``poll`` (``--verbose``): readings, read errors, VPD, confidence, statuses | ``debug`` |
"""

from __future__ import annotations

import logging
from typing import ClassVar

import structlog

from brain.contracts import HealthStatus, Severity
from brain.estimator import Estimate

log = structlog.get_logger(__name__)


class PollLog:
    """Logs each poll's estimate: its findings always, its values at debug level."""

    def __init__(self) -> None:
        self._health = HealthLog()
        self._open: set[tuple[str, str]] = set()
        """The episodes started in this run and not ended, by (kind, started_at)."""
        # Asked once, when the loop is built (logging is configured before, once per process):
        # the lazy module logger binds a new logger at every question, 4 us per poll of a replay.
        self._verbose = log.is_enabled_for(logging.DEBUG)

    def revealed(self, estimate: Estimate) -> None:
        """Log the poll (debug), its anomaly starts, severity changes and ends, a change of sensor health."""
        if self._verbose:
            _log_poll(estimate)
        self._log_anomalies(estimate)
        if estimate.health_changed:
            self._health.changed(estimate)

    def _log_anomalies(self, estimate: Estimate) -> None:
        """A start or a severity change at ``warning`` (``error`` when critical), an end at ``info``.

        Since schema 1.1 an escalation is a record within its episode (same kind and
        ``started_at``), told apart here from a start by the episodes seen open. After a
        restart an episode open at the cut is logged as started once more.
        """
        for anomaly in estimate.anomalies:
            episode = (anomaly.kind.value, anomaly.started_at.isoformat())
            if anomaly.ended_at is not None:
                level, event = logging.INFO, "anomaly_ended"
                self._open.discard(episode)
            else:
                level = logging.ERROR if anomaly.severity is Severity.CRITICAL else logging.WARNING
                event = "anomaly_severity_changed" if episode in self._open else "anomaly_started"
                self._open.add(episode)
            log.log(
                level,
                event,
                stream="anomalies",
                timestamp=anomaly.timestamp.isoformat(),
                kind=anomaly.kind.value,
                severity=anomaly.severity.value,
                message=anomaly.message,
            )


def _log_poll(estimate: Estimate) -> None:
    """``--verbose``: the poll's readings and verdicts, one debug line (called only when debug is on)."""
    log.debug(
        "poll",
        timestamp=estimate.timestamp.isoformat(),
        readings=estimate.observation.sensors.model_dump(mode="json"),
        errors={key.value: error for key, error in estimate.observation.errors.items()},
        vpd_kpa=estimate.vpd_kpa,
        dew_point_c=estimate.dew_point_c,
        confidence=estimate.confidence,
        sensors={record.sensor.value: record.status.value for record in estimate.sensor_health},
        excluded=sorted(key.value for key in estimate.state.excluded_sensors),
    )


class HealthLog:
    """Logs changes of sensor health at the level a grower's filter needs.

    A sensor turning degraded or faulty (or from degraded to faulty) is a ``warning``:
    ``journalctl -p warning`` must show it; a recovery, and any other change, is
    ``info``. The statuses last logged are kept to tell the two apart; before the
    first change this run logged, every sensor counts as ``ok``.
    """

    _RANK: ClassVar[dict[HealthStatus, int]] = {
        HealthStatus.OK: 0,
        HealthStatus.DEGRADED: 1,
        HealthStatus.FAULTY: 2,
    }

    def __init__(self) -> None:
        self._status: dict[str, HealthStatus] = {}

    def changed(self, estimate: Estimate) -> None:
        """Log one ``sensor_health_changed`` line for ``estimate`` (whose health changed)."""
        rank = self._RANK
        worse, better = {}, {}
        for record in estimate.sensor_health:
            before = self._status.get(record.sensor.value, HealthStatus.OK)
            self._status[record.sensor.value] = record.status
            change = f"{before.value}->{record.status.value}"
            if rank[record.status] > rank[before]:
                worse[record.sensor.value] = change
            elif rank[record.status] < rank[before]:
                better[record.sensor.value] = change
        troubled = {
            record.sensor.value: f"{record.status.value}/{record.fault.value}"
            for record in estimate.sensor_health
            if record.status is not HealthStatus.OK
        }
        log.log(
            logging.WARNING if worse else logging.INFO,
            "sensor_health_changed",
            stream="sensor_health",
            timestamp=estimate.timestamp.isoformat(),
            not_ok=troubled,
            worse=worse,
            recovered=better,
        )
