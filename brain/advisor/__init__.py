"""The advisor: the estimator's estimate in; each device kind's desired state and advisory actions out.

Pure like the estimator (no clock, no I/O), so the same estimates give the same advice. The
public API::

    from brain.advisor import Advisor, AdvisorSettings

    advisor = Advisor(AdvisorSettings(devices={"vent": "ventilation"}), timezone="Europe/Amsterdam")
    advice = advisor.step(estimator.step(observation, device_status))
    advice.desired        # {DeviceKind.VENTILATION: Desire(on=True, position=40.0, ...)}
    advice.actions        # list[ActionV1]: turn_on / turn_off / inspect, mode "advisory"

Rules, set points and their sources: docs/advisor.md. brain never drives a relay.
"""

from brain.advisor.advisor import AGREEMENT_TOLERANCE_PCT, Advice, Advisor
from brain.advisor.kinds import KINDS, KindSpec
from brain.advisor.settings import AdvisorSettings, Setpoints
from brain.advisor.situation import Desire, Situation
from brain.names import DEFAULT_DEVICE_KINDS, DeviceKind

__all__ = [
    "AGREEMENT_TOLERANCE_PCT",
    "DEFAULT_DEVICE_KINDS",
    "KINDS",
    "Advice",
    "Advisor",
    "AdvisorSettings",
    "Desire",
    "DeviceKind",
    "KindSpec",
    "Setpoints",
    "Situation",
]
