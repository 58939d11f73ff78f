from __future__ import annotations

from brain.estimator import EstimatorSettings
from brain.estimator.drift import DriftDetector, _Departure

HOUR = 3600.0


def _feed(departure: _Departure, values: list[float], sustain_h: float = 2.0) -> bool:
    for i, value in enumerate(values):
        departure.update(
            value,
            departs=True,
            holds=True,
            start=i * 1800.0,
            end=(i + 1) * 1800.0,
            sustain_s=sustain_h * HOUR,
        )
    return departure.active


def test_a_steady_ramp_is_drift_and_a_flat_or_short_departure_is_not() -> None:
    assert _feed(_Departure(0.15, 0.6, 6.0, 64800.0), [3.0 + 0.2 * i for i in range(6)])
    assert not _feed(_Departure(0.15, 0.6, 6.0, 64800.0), [5.0] * 6), "a constant departure does not ramp"
    assert not _feed(_Departure(0.15, 0.6, 6.0, 64800.0), [3.0, 3.5], sustain_h=0.5), (
        "too few half hours to fit a line"
    )
    assert not _feed(
        _Departure(0.15, 0.6, 6.0, 64800.0),
        [-3.0 - 0.2 * i for i in range(3)] + [3.0 + 0.2 * i for i in range(3)],
    )


def test_an_active_drift_ends_when_the_departure_halves() -> None:
    departure = _Departure(0.15, 0.6, 6.0, 64800.0)
    assert _feed(departure, [3.0 + 0.3 * i for i in range(6)])
    assert departure.verdict() is not None
    departure.update(1.0, departs=False, holds=False, start=0.0, end=1.0, sustain_s=HOUR)
    assert not departure.active and departure.verdict() is None


def test_missing_readings_break_a_building_run_but_not_an_active_drift() -> None:
    detector = DriftDetector(EstimatorSettings.load().drift)
    detector.temperature.run_start = 0.0
    detector.advance(0.0)
    detector.add(None, 60.0)
    assert detector.advance(1800.0)
    assert detector.temperature.run_start is None
    detector.temperature.active = True
    detector.temperature.run_start = 0.0
    detector.advance(3600.0)
    assert detector.temperature.verdict() is not None
