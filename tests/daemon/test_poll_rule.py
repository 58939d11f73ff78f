"""The poll rule as a table: which records a poll stores, in which order, and what a base cycle adds.

The estimates are real: the estimator's ``escalation_and_calming`` scenario (a
temperature episode that starts, escalates and calms), so each row names a poll a
grower would recognise.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pytest
from pydantic import BaseModel

from brain.contracts import SENSOR_KEYS, DeviceStatusV1, ObservationV1, StateV1
from brain.daemon.poll_rule import base_cycle_records, poll_records
from brain.estimator import Estimate
from tests.estimator.synthetic import Row, run
from tests.fixtures.anomaly_test_scenarios import SCENARIOS

HEALTH = ["sensor_health"] * len(SENSOR_KEYS)
STATE = ["state", *HEALTH]


@cache
def estimates() -> dict[str, Estimate]:
    """One estimate of each kind the table needs, by name."""
    scenario = next(s for s in SCENARIOS if s.name == "escalation_and_calming")
    found = [estimate for _, estimate in run(Row(ts, readings) for ts, readings in scenario.rows())]
    quiet = [e for e in found[1:] if not e.anomalies and not e.health_changed]
    return {
        "first": found[0],  # every sensor's health is new
        "quiet": quiet[0],
        "anomaly start": next(e for e in found if len(e.anomalies) == 1 and e.anomalies[0].ended_at is None),
        # the episode escalates: a record of its own, after its start
        "escalation": [e for e in found if e.anomalies and e.anomalies[0].ended_at is None][1],
    }


def _without_devices(status: DeviceStatusV1) -> DeviceStatusV1:
    return status.model_copy(update={"devices": {}})


def _given_again(status: DeviceStatusV1) -> DeviceStatusV1:
    """The poll's status as a timed source gives it again after a restart (it differs from the warm-up's)."""
    devices = {name: "on" if state == "off" else "off" for name, state in status.devices.items()}
    return status.model_copy(update={"devices": devices})


@dataclass(frozen=True)
class PollCase:
    name: str
    estimate: str | None
    """Which estimate the poll made (``None``: the estimator refused the observation)."""
    base_cycle_due: bool
    expected: list[str]
    status: str = "as read"
    """``as read``, ``no devices``, ``unknown`` (a live sensor after a restart), or ``given again``."""


POLLS = [
    PollCase("quiet poll between base cycles", "quiet", False, ["observations", "device_status"]),
    PollCase("quiet poll on a base cycle", "quiet", True, ["observations", "device_status", *STATE]),
    PollCase("first poll: sensor health changed", "first", False, ["observations", "device_status", *STATE]),
    PollCase(
        "anomaly starts", "anomaly start", False, ["observations", "device_status", "anomalies", *STATE]
    ),
    PollCase(
        "anomaly escalates",
        "escalation",
        False,
        ["observations", "device_status", "anomalies", *STATE],
    ),
    PollCase(
        "anomaly on a base cycle: one state",
        "anomaly start",
        True,
        ["observations", "device_status", "anomalies", *STATE],
    ),
    PollCase("refused observation: raw data only", None, True, ["observations", "device_status"]),
    PollCase(
        "status naming no device: not stored", "quiet", True, ["observations", *STATE], status="no devices"
    ),
    PollCase(
        "cut poll, live source: status lost",
        "anomaly start",
        False,
        ["observations", "anomalies", *STATE],
        status="unknown",
    ),
    PollCase(
        "cut poll, timed source: status given again",
        "quiet",
        True,
        ["observations", "device_status", *STATE],
        status="given again",
    ),
]


def _poll(case: PollCase) -> tuple[ObservationV1, DeviceStatusV1 | None, Estimate | None]:
    made = estimates()[case.estimate or "quiet"]
    estimate = made if case.estimate is not None else None
    status: DeviceStatusV1 | None = {
        "as read": made.device_status,
        "no devices": _without_devices(made.device_status),
        "unknown": None,
        "given again": _given_again(made.device_status),
    }[case.status]
    return made.observation, status, estimate


@pytest.mark.parametrize("case", POLLS, ids=[case.name for case in POLLS])
def test_what_a_poll_stores(case: PollCase) -> None:
    observation, status, estimate = _poll(case)
    records = poll_records(observation, status, estimate, base_cycle_due=case.base_cycle_due)
    assert [stream for stream, _ in records] == case.expected
    wanted: list[BaseModel] = [observation]
    if status is not None and status.devices:
        wanted.append(status)
    if estimate is not None:
        wanted += estimate.anomalies
    if "state" in case.expected:
        assert estimate is not None
        state = records[len(wanted)][1]
        assert isinstance(state, StateV1)
        assert state.model_dump(exclude={"device_status"}) == estimate.state.model_dump(
            exclude={"device_status"}
        )
        assert state.device_status == (status if status is not None else estimate.device_status)
        wanted += [state, *estimate.sensor_health]
    assert [record for _, record in records] == wanted


@dataclass(frozen=True)
class BaseCycleCase:
    name: str
    latest: str | None
    """The latest estimate (``None``: none since the start)."""
    state_stored: bool
    expected: list[str]


BASE_CYCLES = [
    BaseCycleCase("after a quiet poll", "quiet", False, STATE),
    BaseCycleCase("after an anomaly poll that stored its state", "anomaly start", True, []),
    BaseCycleCase("a second base cycle with no poll between", "quiet", True, []),
    BaseCycleCase("no estimate yet", None, False, []),
]


@pytest.mark.parametrize("case", BASE_CYCLES, ids=[case.name for case in BASE_CYCLES])
def test_what_a_base_cycle_stores(case: BaseCycleCase) -> None:
    latest = estimates()[case.latest] if case.latest is not None else None
    records = base_cycle_records(latest, state_stored=case.state_stored)
    assert [stream for stream, _ in records] == case.expected
    if records:
        assert latest is not None
        assert [record for _, record in records] == [latest.state, *latest.sensor_health]


def test_the_state_a_poll_stores_is_the_one_the_base_cycle_would_have() -> None:
    quiet = estimates()["quiet"]
    on_cycle = poll_records(quiet.observation, quiet.device_status, quiet, base_cycle_due=True)
    later = base_cycle_records(quiet, state_stored=False)
    assert on_cycle[-len(later) :] == later, "a cut poll completed at a base cycle stores what the loop would"
