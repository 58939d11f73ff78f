"""The sensor drivers, and the one table that maps a ``driver = "..."`` name to its class.

A new driver is one module in this package (its settings model, its
``open_*`` function around the vendor library and its driver class) plus one
line in :data:`DRIVERS`.
"""

from __future__ import annotations

from hardware.drivers.ads1115_moisture import ADS1115MoistureDriver
from hardware.drivers.base import DriverClass, DriverContext, SensorDriver, SensorSettings
from hardware.drivers.bh1750_par import BH1750PARDriver
from hardware.drivers.dht22 import DHT22Driver
from hardware.drivers.scd4x import SCD4XDriver
from hardware.drivers.sht31d import SHT31DDriver

DRIVERS: dict[str, DriverClass] = {
    "dht22": DHT22Driver,
    "sht31d": SHT31DDriver,
    "scd4x": SCD4XDriver,
    "ads1115_moisture": ADS1115MoistureDriver,
    "bh1750_par": BH1750PARDriver,
}
"""Driver name (the ``driver`` key of a ``[[hardware.sensors]]`` table) to driver class."""

__all__ = ["DRIVERS", "DriverClass", "DriverContext", "SensorDriver", "SensorSettings"]
