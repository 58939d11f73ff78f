"""``python -m hardware.moisture_raw``: the calibration's raw counts, through the daemon's own code."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pytest

from brain.exit_codes import ExitCode
from hardware.drivers.ads1115_moisture import ADS1115MoistureSettings
from hardware.i2c import I2CBus
from hardware.moisture_raw import main
from tests.conftest import PROJECT_ROOT
from tests.hardware.fakes import FakeAnalogIn
from tests.runs import clean_env

TWO_PROBES = """
[[hardware.sensors]]
name = "slab_a"
driver = "ads1115_moisture"
channel = 0
dry_raw = 21000
wet_raw = 9800
[[hardware.sensors]]
name = "slab_b"
driver = "ads1115_moisture"
address = 0x49
channel = 2
dry_raw = 21000
wet_raw = 9800
"""


class Counts(FakeAnalogIn):
    """An ADS1115 channel whose count moves between reads, as a real probe's does."""

    def __init__(self, counts: list[int]) -> None:
        super().__init__(counts[0])
        self._counts = iter(counts)

    @property  # type: ignore[override]
    def value(self) -> int:
        return next(self._counts)

    @value.setter
    def value(self, _: int) -> None:
        pass


def test_prints_the_median_count_and_what_the_calibration_makes_of_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "brain.toml"
    config.write_text(TWO_PROBES)
    opened: list[tuple[int, int]] = []
    waits: list[float] = []

    def opener(bus: I2CBus, probe: ADS1115MoistureSettings) -> Counts:
        opened.append((probe.address, probe.channel))
        if probe.address == 0x49:
            raise OSError(errno.EREMOTEIO, "Remote I/O error")
        return Counts([15400, 15380, 15420, 16000, 15390])

    status = main([str(config)], opener=opener, bus=I2CBus(open_bus=object), sleep=waits.append)
    out = capsys.readouterr().out.splitlines()
    assert status == ExitCode.UNAVAILABLE
    assert opened == [(0x48, 0), (0x49, 2)]
    assert waits == [0.2] * 4
    assert out[0] == (
        "slab_a (ADS1115 0x48, A0): raw 15400 (min 15380, max 16000 of 5); "
        "with dry_raw 21000 and wet_raw 9800 that is 50.0 %"
    )
    assert out[1] == "slab_b: cannot read: [Errno 121] Remote I/O error"


def test_a_configuration_without_a_probe_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "brain.toml"
    config.write_text('[[hardware.relays]]\nname = "heater"\npin = 17\n')
    assert main([str(config)]) == ExitCode.CONFIG
    assert "no ads1115_moisture sensor" in capsys.readouterr().err
    config.write_text("[[hardware.sensors]]\ndriver = 'ads1115_moisture'\nchannel = 7\n")
    assert main([str(config)]) == ExitCode.CONFIG
    assert "hardware.sensors[0]" in capsys.readouterr().err


def test_run_as_the_docs_show_it_without_the_pi_libraries_it_says_how_to_get_them() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hardware.moisture_raw", str(PROJECT_ROOT / "config" / "brain.toml")],
        capture_output=True, text=True, env=clean_env(), timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == ExitCode.UNAVAILABLE, result.stdout + result.stderr
    assert result.stdout.startswith("slab_moisture: cannot read: ")
    assert "-m pip install" in result.stdout or "board" in result.stdout
