"""The ``hardware`` entry point of the ``brain.sources`` group: how the daemon finds this package.

``pyproject.toml`` registers ``hardware = "hardware.plugin:PLUGIN"``; the daemon
(and ``brain config check``) load it through
``importlib.metadata.entry_points(group="brain.sources")`` and never import
``hardware`` by name, so ``brain`` stays free of the Pi. :data:`PLUGIN`
satisfies :class:`brain.sources.base.SourcePlugin`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from hardware.config import HardwareConfig, parse_section
from hardware.drivers import DRIVERS, DriverContext
from hardware.i2c import I2CBus
from hardware.relays import RelayBank
from hardware.source import HardwareSource


def build_source(
    config: HardwareConfig,
    *,
    site_id: str,
    now: Callable[[], datetime],
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    i2c: I2CBus | None = None,
    pin_factory: Any = None,
) -> HardwareSource:
    """Wire drivers and relays from a validated configuration; no device is touched until the first poll."""
    bus = i2c or I2CBus()
    context = DriverContext(i2c=bus, retry=config.retry, monotonic=monotonic, sleep=sleep)
    drivers = [DRIVERS[settings.driver](settings, context) for settings in config.sensors]
    relays = RelayBank(config.relays, retry=config.retry, monotonic=monotonic, pin_factory=pin_factory)
    return HardwareSource(
        site_id=site_id,
        now=now,
        drivers=drivers,
        relays=relays,
        read_timeout_s=config.read_timeout_s,
        resources=(bus,),
    )


class HardwarePlugin:
    """Validates the ``[hardware]`` section and builds the live source from it."""

    def check(self, section: Mapping[str, Any], *, config_file: Path | None) -> None:
        """Validate ``section`` without touching any device; raise ``ConfigError`` naming key and file."""
        parse_section(section, config_file=config_file)

    def build(
        self,
        section: Mapping[str, Any],
        *,
        site_id: str,
        config_file: Path | None,
        now: Callable[[], datetime],
    ) -> HardwareSource:
        """Return the hardware source for ``section``; ``now`` stamps each poll."""
        return build_source(parse_section(section, config_file=config_file), site_id=site_id, now=now)


PLUGIN = HardwarePlugin()
"""The object the ``brain.sources`` entry point named ``hardware`` resolves to."""
