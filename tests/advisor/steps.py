"""Estimates made by hand for the advisor's tests: exactly the readings a case needs, trusted.

Why not through the estimator: a rule's test is about the rule; the estimator's verdicts
on made-up series (stuck, jump) would only blur it. The advisor reads the trusted values,
VPD, the observation's outside readings and time, the device status and the anomalies;
those are what :func:`estimate` fills in. ``tests/advisor/test_with_estimator.py`` drives
the real pair.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from brain.advisor import Advice, Advisor
from brain.contracts import (
    AnomalyV1,
    DeviceStatusV1,
    ObservationSource,
    ObservationV1,
    OutsideReadings,
    RelayState,
    SensorReadings,
)
from brain.estimator import Estimate, vpd_kpa

NOON = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
MIDNIGHT = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)


def estimate(
    at: datetime,
    *,
    air: float | None = 22.0,
    rh: float | None = 70.0,
    co2: float | None = 600.0,
    par: float | None = 800.0,
    substrate: float | None = 60.0,
    outside: float | None = None,
    devices: dict[str, Any] | None = None,
    status_at: datetime | None = None,
    anomalies: list[AnomalyV1] | None = None,
) -> Estimate:
    """An estimate at ``at`` with these trusted readings; ``devices``: name to "on"/"off"/"unknown" or %."""
    sensors = SensorReadings(
        air_temperature_c=air,
        relative_humidity_pct=rh,
        co2_ppm=co2,
        par_umol_m2_s=par,
        substrate_moisture_pct=substrate,
    )
    observation = ObservationV1(
        schema_version="1.1" if outside is not None else "1.0",
        timestamp=at,
        site_id="gh",
        source=ObservationSource.SYNTHETIC,
        sensors=sensors,
        outside=OutsideReadings(air_temperature_c=outside, relative_humidity_pct=None)
        if outside is not None
        else None,
    )
    relays: dict[str, RelayState] = {}
    positions: dict[str, float] = {}
    for name, state in (devices or {}).items():
        if isinstance(state, float | int):
            positions[name] = float(state)
            relays[name] = RelayState.ON if state > 0 else RelayState.OFF
        else:
            relays[name] = RelayState(state)
    status = DeviceStatusV1(
        schema_version="1.1" if positions else "1.0",
        timestamp=status_at or at,
        site_id="gh",
        devices=relays,
        positions=positions or None,
    )
    vpd = vpd_kpa(air, rh) if air is not None and rh is not None else None
    return Estimate(
        observation=observation,
        device_status=status,
        values=(air, rh, co2, par, substrate),
        vpd_kpa=vpd,
        dew_point_c=None,
        confidence=1.0,
        exclusions=(None,) * 5,
        health=(None,) * 5,
        t=at.timestamp(),
        anomalies=anomalies or [],
        episodes_started=0,
        health_changed=False,
    )


def run(advisor: Advisor, start: datetime, minutes: int, step_min: int = 5, **readings: Any) -> list[Advice]:
    """Step ``advisor`` every ``step_min`` minutes for ``minutes`` with the same readings."""
    return [
        advisor.step(estimate(start + timedelta(minutes=m), **readings)) for m in range(0, minutes, step_min)
    ]
