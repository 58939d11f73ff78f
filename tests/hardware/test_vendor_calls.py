"""The drivers call the Adafruit libraries as their documentation says.

The fake modules below record how they are called; the expected calls are the
ones in each library's documented quick-start (``adafruit_dht.DHT22(board.D18,
use_pulseio=False)``, ``adafruit_sht31d.SHT31D(i2c, address)``, ``SCD4X(i2c)``
then ``start_periodic_measurement()``, ``AnalogIn(ADS1115(i2c, address), pin)``,
``BH1750(i2c, address)``), so the code the Pi runs is exercised here too.
"""

import sys
import types
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from gpiozero.pins.mock import MockFactory

from brain.contracts import SensorKey
from hardware.config import parse_section
from hardware.i2c import I2CBus
from hardware.plugin import build_source
from tests.fake_time import FakeTime


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.instances: dict[str, Any] = {}

    def class_(self, name: str, **attributes: Any) -> type:
        recorder = self

        def init(self: Any, *args: Any, **kwargs: Any) -> None:
            recorder.calls.append((name, args, kwargs))
            recorder.instances[name] = self
            self.__dict__.update(attributes)

        def method(call: str) -> Any:
            return lambda self, *a, **k: recorder.calls.append((f"{name}.{call}", a, k))

        return type(
            name,
            (),
            {
                "__init__": init,
                "exit": method("exit"),
                "deinit": method("deinit"),
                "start_periodic_measurement": method("start_periodic_measurement"),
            },
        )


@pytest.fixture
def vendor(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    recorder = Recorder()
    board = types.ModuleType("board")
    board.D4 = "board.D4"  # type: ignore[attr-defined]
    board.I2C = lambda: "i2c-bus-1"  # type: ignore[attr-defined]
    modules = {
        "board": board,
        "digitalio": types.SimpleNamespace(DigitalInOut=recorder.class_("DigitalInOut")),
        "adafruit_dht": types.SimpleNamespace(
            DHT22=recorder.class_("DHT22", temperature=22.0, humidity=60.0)
        ),
        "adafruit_sht31d": types.SimpleNamespace(
            SHT31D=recorder.class_("SHT31D", temperature=21.0, relative_humidity=65.0)
        ),
        "adafruit_scd4x": types.SimpleNamespace(
            SCD4X=recorder.class_("SCD4X", data_ready=True, CO2=700, temperature=20.0, relative_humidity=50.0)
        ),
        "adafruit_ads1x15": types.ModuleType("adafruit_ads1x15"),
        "adafruit_ads1x15.ads1115": types.SimpleNamespace(ADS1115=recorder.class_("ADS1115")),
        "adafruit_ads1x15.analog_in": types.SimpleNamespace(
            AnalogIn=recorder.class_("AnalogIn", value=15400)
        ),
        "adafruit_bh1750": types.SimpleNamespace(BH1750=recorder.class_("BH1750", lux=10800.0)),
    }
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    yield recorder


def test_each_driver_calls_its_library_as_documented(vendor: Recorder) -> None:
    section = {
        "sensors": [
            {"driver": "dht22", "pin": 4, "provides": ["air_temperature_c"]},
            {"driver": "sht31d", "address": 0x45, "provides": ["relative_humidity_pct"]},
            {"driver": "scd4x", "self_calibration": False},
            {"driver": "ads1115_moisture", "address": 0x49, "channel": 2, "dry_raw": 20000, "wet_raw": 10000},
            {"driver": "bh1750_par", "address": 0x5C},
        ],
        "relays": [{"name": "heater", "pin": 17}],
    }
    clock = FakeTime()
    factory = MockFactory()
    source = build_source(
        parse_section(section, config_file=None),
        site_id="g",
        now=lambda: datetime(2026, 6, 1, tzinfo=UTC),
        monotonic=clock.monotonic,
        sleep=clock.sleep,
        i2c=I2CBus(),
        pin_factory=factory,
    )
    observation = source.next_observation()
    assert observation.errors == {}
    assert observation.sensors.model_dump() == {
        SensorKey.AIR_TEMPERATURE_C: 22.0,
        SensorKey.RELATIVE_HUMIDITY_PCT: 65.0,
        SensorKey.CO2_PPM: 700.0,
        SensorKey.PAR_UMOL_M2_S: 200.0,  # 10 800 lux / 54
        SensorKey.SUBSTRATE_MOISTURE_PCT: 46.0,  # (20000 - 15400) / 10000
    }
    source.close()
    factory.reset()
    calls = vendor.calls
    assert ("DHT22", ("board.D4",), {"use_pulseio": False}) in calls
    # The DHT22's line is requested and released once at open, so a line nobody can have is "not found".
    names = [c[0] for c in calls]
    assert names.index("DigitalInOut") < names.index("DigitalInOut.deinit") < names.index("DHT22")
    assert ("DigitalInOut", ("board.D4",), {}) in calls
    assert ("SHT31D", ("i2c-bus-1",), {"address": 0x45}) in calls
    assert ("SCD4X", ("i2c-bus-1",), {}) in calls
    assert ("BH1750", ("i2c-bus-1",), {"address": 0x5C}) in calls
    assert ("ADS1115", ("i2c-bus-1",), {"address": 0x49}) in calls
    (analog,) = [c for c in calls if c[0] == "AnalogIn"]
    assert analog[1][1] == 2  # channel A2: the library's pin constants are the channel numbers
    # Periodic measurement starts once, after the constructor (which stops any running one).
    names = [c[0] for c in calls]
    assert names.count("SCD4X.start_periodic_measurement") == 1
    assert names.index("SCD4X") < names.index("SCD4X.start_periodic_measurement")
    assert vendor.instances["SCD4X"].self_calibration_enabled is False
    assert names.count("DHT22.exit") == 1  # close() released the pin
