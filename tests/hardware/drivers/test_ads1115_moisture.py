import pytest
from hypothesis import given
from hypothesis import strategies as st

from brain.contracts import SensorKey
from hardware.drivers.ads1115_moisture import ADS1115MoistureDriver, ADS1115MoistureSettings
from tests.fake_time import FakeTime
from tests.hardware.fakes import FakeAnalogIn, make_context

MOISTURE = SensorKey.SUBSTRATE_MOISTURE_PCT


def _settings(**extra: object) -> ADS1115MoistureSettings:
    return ADS1115MoistureSettings.model_validate(
        {"driver": "ads1115_moisture", "channel": 1, "dry_raw": 20000, "wet_raw": 10000, **extra}
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (20000, 0.0),  # the dry point
        (10000, 100.0),  # the wet point
        (15000, 50.0),  # halfway between
        (12500, 75.0),
        (26000, 0.0),  # drier than dry: clamped
        (4000, 100.0),  # wetter than wet: clamped
    ],
)
def test_two_point_calibration_is_linear_and_clamped(raw: int, expected: float) -> None:
    driver = ADS1115MoistureDriver(
        _settings(), make_context(FakeTime()), open_device=lambda: FakeAnalogIn(raw)
    )
    assert driver.read() == {MOISTURE: pytest.approx(expected)}


def test_calibration_points_carry_their_own_water_content() -> None:
    settings = _settings(dry_pct=5.0, wet_pct=60.0)
    assert settings.moisture_pct(15000) == pytest.approx(32.5)  # 5 + 0.5 * 55
    assert settings.moisture_pct(30000) == pytest.approx(5.0)


@given(raw=st.integers(-32768, 65535), dry=st.integers(0, 32767), wet=st.integers(0, 32767))
def test_result_always_lies_between_the_calibration_points(raw: int, dry: int, wet: int) -> None:
    if dry == wet:
        return
    settings = _settings(dry_raw=dry, wet_raw=wet, dry_pct=10.0, wet_pct=80.0)
    assert 10.0 <= settings.moisture_pct(raw) <= 80.0


def test_label_names_address_and_channel() -> None:
    assert _settings(address=0x49).label == "ads1115_moisture@0x49/A1"
