"""The closed loop: brain's synthetic greenhouse with its devices following brain's advice.

Run: ``python bench/advisor_closed_loop.py``. For a winter week and a summer week (seed 1,
1-minute polls, Westland latitude) it runs the synthetic greenhouse three ways: its built-in
climate computer (``simulation.control = "builtin"``), brain's advice (``"advice"``: after
every estimate the modelled devices take the advisor's desired state) and no control at all
(``"none"``). It prints, per run, the hours outside the tomato band (air 16-29 °C, VPD
0.3-1.5 kPa: tomato_climate.md's night optimum floor, blossom injury near 29-30 °C, the VPD
band and the stomata closing above 1.5 kPa), the heating hours and the switchings per day of
the busiest device. The advisor is set to the model's own heating and humidity lines, as a
grower sets a site's own, so both controllers aim at the same climate; the model's computer
moves the same modelled devices as the advice does (docs/advisor.md, "The closed loop").
Nothing is asserted; docs/advisor.md quotes the figures. Deterministic: the same
seed gives the same figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog

from brain.advisor import Advisor, AdvisorSettings, Setpoints
from brain.contracts import RelayState
from brain.estimator import Estimator, EstimatorSettings
from brain.sources.synthetic.greenhouse_model import DAY_HEATING_C, DEHUMIDIFY_ABOVE_RH, NIGHT_HEATING_C
from brain.sources.synthetic.source import DEFAULT_LATITUDE_DEG, SyntheticSource

WEEKS = {"winter": datetime(2026, 1, 12, tzinfo=UTC), "summer": datetime(2026, 7, 13, tzinfo=UTC)}
DAYS = 7
POLL_S = 60.0
BAND_C = (16.0, 29.0)
BAND_VPD_KPA = (0.3, 1.5)


@dataclass
class Outcome:
    """What one week under one controller gave."""

    hours_outside_band: float = 0.0
    heating_hours: float = 0.0
    switchings: Counter[str] = field(default_factory=Counter)

    def worst_switchings_per_day(self) -> tuple[str, float]:
        if not self.switchings:
            return "-", 0.0
        name, count = self.switchings.most_common(1)[0]
        return name, count / DAYS


def run(season: str, control: str, *, seed: int = 1) -> Outcome:
    """One week of ``control`` in ``season``."""
    source = SyntheticSource(
        seed=seed,
        start=WEEKS[season],
        poll_interval_s=POLL_S,
        duration_s=DAYS * 86_400.0,
        site_id="closed-loop",
        control=control,
    )
    estimator = Estimator(EstimatorSettings.load(None))
    # The model's clock is UTC at longitude 0 (its local hour is the start's wall time).
    # The site's heating and humidity lines are the model's climate computer's (as a grower sets a
    # site's own): both controllers then aim at the same climate and are judged on how they hold it.
    setpoints = Setpoints(
        heating_day_c=DAY_HEATING_C,
        heating_night_c=NIGHT_HEATING_C,
        humidity_high_pct=100.0 * DEHUMIDIFY_ABOVE_RH,
    )
    advisor = Advisor(AdvisorSettings(latitude=DEFAULT_LATITUDE_DEG, longitude=0.0, setpoints=setpoints))
    outcome = Outcome()
    previous: dict[str, RelayState] = {}
    while (observation := source.next_observation()) is not None:
        status = source.device_status()
        estimate = estimator.step(observation, status)
        advice = advisor.step(estimate)
        if control == "advice":
            source.follow(advisor.device_positions(advice))
        air, rh = observation.sensors.air_temperature_c, observation.sensors.relative_humidity_pct
        vpd = estimate.vpd_kpa
        if air is not None and (
            not BAND_C[0] <= air <= BAND_C[1]
            or (vpd is not None and not BAND_VPD_KPA[0] <= vpd <= BAND_VPD_KPA[1])
        ):
            outcome.hours_outside_band += POLL_S / 3600.0
        if status.devices.get("heater") is RelayState.ON:
            outcome.heating_hours += POLL_S / 3600.0
        for name, state in status.devices.items():
            if name in previous and previous[name] is not state:
                outcome.switchings[name] += 1
        previous = dict(status.devices)
        del rh
    return outcome


def main() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    print(f"{'week':<8}{'control':<9}{'h outside band':>16}{'heating h':>11}  most switchings per day")
    for season in WEEKS:
        for control in ("builtin", "advice", "none"):
            outcome = run(season, control)
            name, per_day = outcome.worst_switchings_per_day()
            print(
                f"{season:<8}{control:<9}{outcome.hours_outside_band:>16.1f}{outcome.heating_hours:>11.1f}"
                f"  {name} {per_day:.1f}"
            )


if __name__ == "__main__":
    main()
