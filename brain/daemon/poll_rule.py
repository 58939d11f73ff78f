"""The poll rule: which records a poll stores, and what a base cycle adds.

Why a pure function of its own: the main loop follows the rule at every poll, and
a restart follows it again to complete a poll that a kill cut short between its
writes (:mod:`brain.daemon.recovery`). Written once, the two cannot drift apart,
and the rule can be read as a table (``tests/daemon/test_poll_rule.py``).

A poll stores, in this order:

1. its observation: raw data, kept whatever the estimator makes of it;
2. its device status, unless it names no device (a replayed log that recorded no
   relay: a replay of this output gives the same empty status back, so round trips
   are unchanged; the state still carries it);
3. the anomaly starts and ends its estimate revealed;
4. the state with its sensor-health records when an anomaly started or ended, a
   sensor's health changed, the advisor wrote an action (the action answers that
   state), or the poll falls on a base cycle: a detection carries the timestamp of
   the observation that revealed it;
5. the advisor's actions, after the state and anomalies they answer.

A base cycle then stores the latest state with its sensor-health records unless
the poll that estimated it already did: one state per estimate at most.

Example: a quiet poll between base cycles stores its observation and device
status only; the next base cycle stores that poll's state and five health records.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from brain.contracts import ActionV1, DeviceStatusV1, ObservationV1
from brain.estimator import Estimate

StreamRecord = tuple[str, BaseModel]
"""A record and the stream (file stem) it is stored in."""


def poll_records(
    observation: ObservationV1,
    device_status: DeviceStatusV1 | None,
    estimate: Estimate | None,
    *,
    actions: Sequence[ActionV1] = (),
    base_cycle_due: bool = False,
) -> list[StreamRecord]:
    """The records one poll stores, in the order they are written.

    ``device_status`` is ``None`` when it is not known (a live sensor cannot be read
    again after a restart); ``estimate`` is ``None`` when the estimator refused the
    observation (a duplicate or out-of-order timestamp): the raw records are still
    stored. ``actions`` are the advisor's for this estimate. ``base_cycle_due`` says the
    state is due anyway at this instant.
    """
    records: list[StreamRecord] = [("observations", observation)]
    if device_status is not None and device_status.devices:
        records.append(("device_status", device_status))
    if estimate is None:
        return records
    records.extend(("anomalies", anomaly) for anomaly in estimate.anomalies)
    if estimate.anomalies or estimate.health_changed or base_cycle_due or actions:
        records.extend(_state_records(estimate, device_status))
    records.extend(("actions", action) for action in actions)
    return records


def base_cycle_records(latest: Estimate | None, *, state_stored: bool) -> list[StreamRecord]:
    """The records a base cycle stores: the latest state and its health records, unless already stored."""
    if latest is None or state_stored:
        return []
    return _state_records(latest, None)


def _state_records(estimate: Estimate, device_status: DeviceStatusV1 | None) -> list[StreamRecord]:
    """The state, carrying the device status stored with the poll, then one health record per sensor.

    Why the status may be put in: a restart estimates a cut poll again from what is
    stored, where the kill may have cut its device status; the status the source
    gives again (``device_status``) is the one the uncut run stored. In the main loop
    the state was estimated with ``device_status`` and is stored as it is.
    """
    state = estimate.state
    if device_status is not None and state.device_status != device_status:
        state = state.model_copy(update={"device_status": device_status})
    return [("state", state), *(("sensor_health", record) for record in estimate.sensor_health)]
