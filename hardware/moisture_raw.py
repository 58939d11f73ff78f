"""Print the raw ADS1115 count of each configured moisture probe: the two-point calibration's input.

``python -m hardware.moisture_raw /etc/brain/brain.toml`` (as the ``brain``
user, with the service stopped) reads every ``ads1115_moisture`` sensor of the
file ``SAMPLES`` times through the daemon's own code (the shared I2C bus, the
driver's open function) and prints the median count, its spread and what the
current ``dry_raw``/``wet_raw`` make of it. Put the probe in dry substrate, run
it, note the count as ``dry_raw``; saturate the substrate, run it again for
``wet_raw`` (docs/deployment.md, "Moisture probe calibration").

Why a module rather than a Python one-liner in the docs: it reads the address
and channel from the configuration instead of repeating them, and it goes
through the same lazy imports, bus lock and error texts as the daemon.

Exit status: 0 when every probe was read, 69 when one could not be (the line
says why), 78 for a configuration without a moisture probe or with an error.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from brain.errors import ConfigError
from brain.exit_codes import ExitCode
from hardware.config import parse_section
from hardware.drivers.ads1115_moisture import ADS1115MoistureSettings, open_ads1115_channel
from hardware.i2c import I2CBus
from hardware.retry import OPEN_ERRORS, describe_error

SAMPLES = 5
SPACING_S = 0.2
"""Five readings a fifth of a second apart: enough to see a noisy probe, short enough to wait for."""

Opener = Callable[[I2CBus, ADS1115MoistureSettings], Any]


def _open(bus: I2CBus, probe: ADS1115MoistureSettings) -> Any:
    return open_ads1115_channel(bus, probe.address, probe.channel)


def read_probe(
    bus: I2CBus, probe: ADS1115MoistureSettings, opener: Opener, sleep: Callable[[float], None]
) -> str:
    """One line about ``probe``: its median raw count and what the calibration makes of it."""
    channel = opener(bus, probe)
    counts = []
    for sample in range(SAMPLES):
        if sample:
            sleep(SPACING_S)
        with bus.lock:
            counts.append(int(channel.value))
    median = statistics.median(counts)
    return (
        f"{probe.label} (ADS1115 {probe.address:#04x}, A{probe.channel}): raw {median:g} "
        f"(min {min(counts)}, max {max(counts)} of {SAMPLES}); with dry_raw {probe.dry_raw} and "
        f"wet_raw {probe.wet_raw} that is {probe.moisture_pct(median):.1f} %"
    )


def main(
    argv: Sequence[str] | None = None,
    *,
    opener: Opener = _open,
    bus: I2CBus | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Read every moisture probe of the configuration file; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m hardware.moisture_raw", description=__doc__.splitlines()[0]
    )
    parser.add_argument("config", type=Path, help="the daemon's TOML file (/etc/brain/brain.toml)")
    args = parser.parse_args(argv)
    try:
        section = tomllib.loads(args.config.read_text(encoding="utf-8")).get("hardware", {})
        probes = [s for s in parse_section(section, config_file=args.config).sensors
                  if isinstance(s, ADS1115MoistureSettings)]  # fmt: skip
    except (OSError, tomllib.TOMLDecodeError, ConfigError) as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return ExitCode.CONFIG
    if not probes:
        print(f"{parser.prog}: no ads1115_moisture sensor in [hardware] of {args.config}", file=sys.stderr)
        return ExitCode.CONFIG
    shared = bus or I2CBus()
    status = ExitCode.OK
    try:
        for probe in probes:
            try:
                print(read_probe(shared, probe, opener, sleep))
            except OPEN_ERRORS as exc:
                print(f"{probe.label}: cannot read: {describe_error(exc)}")
                status = ExitCode.UNAVAILABLE
    finally:
        shared.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
