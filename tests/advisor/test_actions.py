"""Actions: written once a device differed long enough, with a reason citing readings; faults; bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest

from brain.advisor import Advisor, AdvisorSettings, DeviceKind
from brain.config import load_settings
from brain.contracts import ActionType, AnomalyV1, ReferencedStream
from brain.errors import ConfigError
from tests.advisor.steps import MIDNIGHT, NOON, estimate, run
from tests.factories import anomaly_payload

VENTS = AdvisorSettings(devices={"vents": DeviceKind.VENTILATION})


def _actions(advices: list) -> list:  # type: ignore[type-arg]
    return [action for advice in advices for action in advice.actions]


def test_a_device_that_agreed_only_briefly_is_not_advised_again_but_one_that_agreed_long_is() -> None:
    """A climate computer that cycles the vents shut for a minute and open again (the simulated
    heater did, every 20-30 min, and the grower got "turn off heater" eight times a night)."""
    advisor = Advisor(VENTS)
    first = _actions(run(advisor, NOON, 15, air=31.2, devices={"vents": 10.0}))
    assert len(first) == 1
    t = NOON + timedelta(minutes=15)
    run(advisor, t, 5, air=31.2, devices={"vents": 100.0})  # follows the advice for 5 minutes
    again = _actions(run(advisor, t + timedelta(minutes=5), 30, air=31.2, devices={"vents": 10.0}))
    assert again == [], "the same disagreement, not a new one"
    t += timedelta(minutes=35)
    run(advisor, t, 15, air=31.2, devices={"vents": 100.0})  # follows it for 15 minutes
    later = _actions(run(advisor, t + timedelta(minutes=15), 30, air=31.2, devices={"vents": 10.0}))
    assert len(later) == 1, "agreed for longer than act_after_s: a new disagreement, told again"


def test_an_action_after_ten_minutes_of_disagreement_once_with_its_reason() -> None:
    advisor = Advisor(VENTS)
    early = run(advisor, NOON, 10, air=31.2, devices={"vents": 10.0})
    assert _actions(early) == []  # 0 and 5 minutes: not long enough
    later = run(advisor, NOON + timedelta(minutes=10), 60, air=31.2, devices={"vents": 10.0})
    actions = _actions(later)
    assert len(actions) == 1, "a device that stays wrong is not nagged at every poll"
    action = actions[0]
    assert action.action_type is ActionType.TURN_ON and action.target_device == "vents"
    assert action.target_position_pct == 100.0 and action.mode == "advisory"
    assert (
        action.reason
        == "Air 31.2 °C, above the ventilation line 21.5 °C, vents at 10 %: open vents to 100 %."
    )
    assert action.in_response_to.stream is ReferencedStream.STATE
    assert action.in_response_to.timestamp == action.timestamp == NOON + timedelta(minutes=10)


def test_the_reason_says_rising_and_agreement_rearms_the_action() -> None:
    advisor = Advisor(VENTS)
    warming = [  # 0.1 K a minute with the vents shut: past the line (21.5 °C) at 20 min
        advisor.step(
            estimate(NOON + timedelta(minutes=minute), air=20.0 + 0.1 * minute, devices={"vents": 0.0})
        )
        for minute in range(0, 45, 5)
    ]
    (action,) = _actions(warming)
    assert action.timestamp == NOON + timedelta(minutes=30)
    assert action.reason.startswith(
        "Air 23.0 °C and rising, above the ventilation line 21.5 °C, vents at 0 %"
    )
    run(
        advisor, NOON + timedelta(minutes=45), 10, air=23.6, devices={"vents": 60.0}
    )  # the grower opened them
    again = _actions(run(advisor, NOON + timedelta(minutes=55), 20, air=23.6, devices={"vents": 0.0}))
    assert len(again) == 1, "closed again: advised again"


def test_a_relay_gets_turn_off_without_a_target_and_an_anomaly_is_answered() -> None:
    advisor = Advisor(AdvisorSettings(devices={"heater": DeviceKind.HEATING}))
    run(advisor, NOON, 10, air=25.0, devices={"heater": "on"})
    when = "2026-06-01T12:10:00+00:00"
    start = anomaly_payload() | {"timestamp": when, "started_at": when, "kind": "condensation_risk"}

    anomaly = AnomalyV1.model_validate(start)
    advice = advisor.step(
        estimate(NOON + timedelta(minutes=10), air=25.0, devices={"heater": "on"}, anomalies=[anomaly])
    )
    (action,) = advice.actions
    assert action.action_type is ActionType.TURN_OFF and action.target_position_pct is None
    assert action.reason.endswith("heater on: turn off heater.")
    assert action.in_response_to.stream is ReferencedStream.ANOMALIES
    assert action.in_response_to.kind == "condensation_risk"


def test_the_action_names_the_device_furthest_from_the_advice() -> None:
    advisor = Advisor(
        AdvisorSettings(devices={"lee": DeviceKind.VENTILATION, "fans": DeviceKind.VENTILATION})
    )
    actions = _actions(run(advisor, NOON, 20, air=20.0, devices={"lee": 5.0, "fans": 60.0}))
    (action,) = actions
    assert action.action_type is ActionType.TURN_OFF and action.target_device == "fans"
    assert action.target_position_pct == 0.0


def test_fans_at_full_and_the_hot_air_still_warming_is_an_inspect() -> None:
    advisor = Advisor(VENTS)
    advices = [
        advisor.step(
            estimate(NOON + timedelta(minutes=m), air=28.0 + m / 20.0, rh=40.0, devices={"vents": 100.0})
        )
        for m in range(0, 65, 5)
    ]
    inspects = [a for a in _actions(advices) if a.action_type is ActionType.INSPECT]
    assert len(inspects) == 1
    assert inspects[0].reason == (
        "vents at 100 % for 30 min and the air still warming, 28.0 -> 29.5 °C: inspect vents."
    )
    assert inspects[0].timestamp == NOON + timedelta(minutes=30)


def test_a_warm_morning_with_the_fans_at_full_is_no_fault() -> None:
    advisor = Advisor(VENTS)
    advices = [
        advisor.step(estimate(NOON + timedelta(minutes=m), air=22.0 + m / 20.0, devices={"vents": 100.0}))
        for m in range(0, 65, 5)
    ]
    assert not [a for a in _actions(advices) if a.action_type is ActionType.INSPECT]


def test_lamps_on_and_par_dark_is_an_inspect_but_not_on_an_untrusted_par() -> None:
    settings = AdvisorSettings(devices={"lamps": DeviceKind.LAMPS})
    dark = _actions(run(Advisor(settings), MIDNIGHT, 30, par=0.0, devices={"lamps": 100.0}))
    assert [a.action_type for a in dark] == [ActionType.INSPECT]
    assert dark[0].reason.startswith("lamps at 100 % for 15 min and PAR dark, 0 -> 0 umol m-2 s-1")
    untrusted = _actions(run(Advisor(settings), MIDNIGHT, 30, par=None, devices={"lamps": 100.0}))
    assert untrusted == []


def test_heating_on_and_the_air_cooling_is_an_inspect() -> None:
    advisor = Advisor(AdvisorSettings(devices={"heater": DeviceKind.HEATING}))
    advices = [
        advisor.step(
            estimate(MIDNIGHT + timedelta(minutes=m), air=16.0 - m / 50.0, par=0.0, devices={"heater": "on"})
        )
        for m in range(0, 35, 5)
    ]
    inspects = [a for a in _actions(advices) if a.action_type is ActionType.INSPECT]
    assert len(inspects) == 1 and "the air cooling, 16.0 -> 15.4 °C" in inspects[0].reason


def test_an_unknown_relay_a_stale_status_and_an_unnamed_device_give_no_action() -> None:
    advisor = Advisor(VENTS)
    unknown = run(advisor, NOON, 30, air=31.0, devices={"vents": "unknown", "mystery": "on"})
    assert _actions(unknown) == []
    assert unknown[-1].degraded["vents"] == "state unknown: no action"
    assert "no kind configured" in unknown[-1].degraded["mystery"]
    stale = [
        advisor.step(estimate(NOON + timedelta(minutes=m), air=31.0, devices={"vents": 0.0},
                              status_at=NOON + timedelta(minutes=m - 5)))
        for m in range(30, 60, 5)
    ]  # fmt: skip
    assert _actions(stale) == []
    assert "older than the observation" in stale[-1].degraded["device_status"]


def test_an_untrusted_reading_gives_no_advice_for_the_kinds_that_need_it() -> None:
    advice = Advisor(VENTS).step(estimate(NOON, air=None, devices={"vents": 0.0}))
    assert advice.desired[DeviceKind.VENTILATION] is None
    assert advice.degraded["ventilation"] == "no advice: air temperature not known"


def test_the_same_estimates_give_the_same_actions() -> None:
    def actions() -> list[str]:
        advisor = Advisor(VENTS)
        out = []
        for minute in range(0, 600, 5):
            air = 20.0 + 8.0 * ((minute % 120) / 120.0)
            out += [
                a.model_dump_json()
                for a in advisor.step(
                    estimate(NOON + timedelta(minutes=minute), air=air, devices={"vents": 0.0})
                ).actions
            ]
        return out

    first = actions()
    assert first and first == actions()


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[advisor.devices]\nvent_lee = "vents"\n', "advisor.devices.vent_lee"),
        ("latitude = 40.0\n", "longitude"),
        ("[advisor]\nlatitude = 40.0\n", "longitude"),
        ("[advisor.setpoints]\nlamps_on_par_umol_m2_s = 700.0\n", "advisor.setpoints"),
    ],
)
def test_a_bad_advisor_setting_is_a_config_error_naming_the_key(tmp_path, toml: str, key: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "brain.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    assert raised.value.key == key
