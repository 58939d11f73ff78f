"""Whatever the readings and device states, the advisor answers: no crash, bounded advice, valid actions."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from brain.advisor import Advisor, AdvisorSettings, DeviceKind
from brain.contracts import ActionV1
from tests.advisor.steps import MIDNIGHT, estimate

EVERY_KIND = AdvisorSettings(devices={kind.value: kind for kind in DeviceKind}, latitude=52.0, longitude=4.4)
reading = st.none() | st.floats(min_value=-40.0, max_value=60.0, allow_nan=False)
percent = st.none() | st.floats(min_value=0.0, max_value=100.0, allow_nan=False)
state = st.sampled_from(["on", "off", "unknown"]) | st.floats(min_value=0.0, max_value=100.0, allow_nan=False)
step = st.fixed_dictionaries(
    {
        "minutes": st.integers(min_value=1, max_value=240),
        "air": reading,
        "rh": percent,
        "co2": st.none() | st.floats(min_value=0.0, max_value=3000.0, allow_nan=False),
        "par": st.none() | st.floats(min_value=0.0, max_value=2500.0, allow_nan=False),
        "substrate": percent,
        "outside": reading,
        "devices": st.dictionaries(
            st.sampled_from([kind.value for kind in DeviceKind] + ["stranger"]), state
        ),
        "stale": st.booleans(),
    }
)


@settings(max_examples=60, deadline=None)
@given(st.lists(step, min_size=1, max_size=40))
def test_any_sequence_of_estimates_gets_bounded_advice_and_valid_actions(steps: list[dict]) -> None:
    advisor = Advisor(EVERY_KIND, timezone="Europe/Amsterdam")
    at = MIDNIGHT
    for each in steps:
        at += timedelta(minutes=each.pop("minutes"))
        stale = each.pop("stale")
        advice = advisor.step(estimate(at, status_at=at - timedelta(minutes=1) if stale else None, **each))
        for desire in advice.desired.values():
            assert desire is None or desire.position is None or 0.0 <= desire.position <= 100.0
            assert desire is None or desire.reason()
        for action in advice.actions:
            assert ActionV1.model_validate_json(action.model_dump_json()) == action
            assert action.mode == "advisory"
        assert not (stale and advice.actions), "no action at all from a stale device status"
