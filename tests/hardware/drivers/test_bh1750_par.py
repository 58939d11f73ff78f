import pytest

from brain.contracts import SensorKey
from brain.errors import SensorReadError
from hardware.drivers.bh1750_par import BH1750PARDriver, BH1750PARSettings
from tests.fake_time import FakeTime
from tests.hardware.fakes import FakeBH1750, make_context

PAR = SensorKey.PAR_UMOL_M2_S


def _read(lux: float, **extra: object) -> dict[SensorKey, float]:
    settings = BH1750PARSettings.model_validate({"driver": "bh1750_par", **extra})
    return BH1750PARDriver(settings, make_context(FakeTime()), open_device=lambda: FakeBH1750(lux)).read()


def test_sunlight_factor_by_default() -> None:
    # Apogee's table: 1000 umol m-2 s-1 of sunlight is 54 000 lux.
    assert _read(54000.0) == {PAR: pytest.approx(1000.0)}


def test_factor_is_a_setting_for_other_lamps() -> None:
    # High-pressure sodium: 82 lux per umol m-2 s-1, so 8 200 lux is 100 umol m-2 s-1.
    assert _read(8200.0, lux_per_umol_m2_s=82.0) == {PAR: pytest.approx(100.0)}


def test_darkness_is_zero() -> None:
    assert _read(0.0) == {PAR: 0.0}


def test_negative_lux_is_an_error() -> None:
    with pytest.raises(SensorReadError, match="outside the measuring range"):
        _read(-3.0)
