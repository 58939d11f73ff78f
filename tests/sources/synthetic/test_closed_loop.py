"""The closed loop: the synthetic greenhouse's devices follow what they are told or nothing; deterministic."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from brain.advisor import Advisor, AdvisorSettings
from brain.config import load_settings
from brain.contracts import RelayState
from brain.daemon.builder import check_settings
from brain.errors import ConfigError
from brain.estimator import Estimator, EstimatorSettings
from brain.sources.synthetic.source import SyntheticSource

WINTER = datetime(2026, 1, 12, tzinfo=UTC)


def _source(control: str, hours: float = 6.0) -> SyntheticSource:
    return SyntheticSource(
        seed=3, start=WINTER, poll_interval_s=60.0, duration_s=hours * 3600.0, site_id="loop", control=control
    )


def _air(source: SyntheticSource, positions: dict[str, float] | None = None) -> list[float]:
    temperatures = []
    while (observation := source.next_observation()) is not None:
        if positions is not None:
            source.follow(positions)
        assert observation.sensors.air_temperature_c is not None
        temperatures.append(observation.sensors.air_temperature_c)
    return temperatures


def test_without_control_nothing_runs_and_a_winter_night_goes_cold() -> None:
    source = _source("none")
    air = _air(source)
    assert all(state is RelayState.OFF for state in source.device_status().devices.values())
    assert min(air) < 10.0, "an unheated glasshouse on a January night"
    builtin = _air(_source("builtin"))
    assert min(builtin) > 17.0, "the built-in climate computer heats"


def test_the_devices_follow_what_they_are_told() -> None:
    heated = _source("advice")
    air = _air(heated, {"heater": 60.0, "vent_fan": 0.0})
    assert heated.device_status().devices["heater"] is RelayState.ON
    assert min(air[30:]) > min(_air(_source("none"))[30:]) + 10.0
    ignored = _source("builtin")
    ignored.follow({"heater": 0.0})  # the built-in controller ignores advice
    assert _air(ignored) == _air(_source("builtin"))


def test_following_the_advice_is_deterministic() -> None:
    def run() -> list[tuple[float, RelayState]]:
        source = _source("advice", hours=12.0)
        estimator, advisor = (
            Estimator(EstimatorSettings.load(None)),
            Advisor(AdvisorSettings(latitude=52.0, longitude=0.0)),
        )
        out = []
        while (observation := source.next_observation()) is not None:
            status = source.device_status()
            advice = advisor.step(estimator.step(observation, status))
            source.follow(advisor.device_positions(advice))
            out.append((observation.sensors.air_temperature_c or 0.0, status.devices["heater"]))
        return out

    first = run()
    assert first == run()
    assert any(state is RelayState.ON for _, state in first), "the advice heats the winter night"


def test_advice_control_needs_the_advisor(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "brain.toml"
    path.write_text('[simulation]\ncontrol = "advice"\n[advisor]\nenabled = false\n', encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        check_settings(load_settings(path))
    assert raised.value.key == "simulation.control"
