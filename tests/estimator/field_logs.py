"""Read the real greenhouse logs in ``shared/data/field`` into observations, with the csv module.

Why here and not a source: the CSV importer is another part of brain; these
tests need only the readings, converted honestly (local time with DST to aware
UTC-comparable datetimes, degF to degC, absent sensors as null with the
importer's "not in source log" error).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from brain.contracts import DeviceStatusV1, ObservationV1, RelayState
from tests import factories

EASTERN = ZoneInfo("America/New_York")
NOT_IN_LOG = "not in source log"
OSU_FILE = "osu2024_tomato_reference_environment.csv"
CORNELL_FILE = "cornell2020_tomato_co2lassi_environment_2020-12-10_2021-01-09.csv"


def _float(text: str) -> float | None:
    text = text.strip()
    if not text or text.lower() == "nan":
        return None
    return float(text)


def _localise(naive: datetime, seen_ambiguous: set[datetime]) -> datetime:
    """Attach US/Eastern; the second pass through a fall-back hour gets fold=1."""
    first = naive.replace(tzinfo=EASTERN, fold=0)
    second = naive.replace(tzinfo=EASTERN, fold=1)
    if first.utcoffset() != second.utcoffset():
        if naive in seen_ambiguous:
            return second
        seen_ambiguous.add(naive)
    return first


def _observation(ts: datetime, site: str, readings: dict[str, float | None]) -> ObservationV1:
    errors = {key: NOT_IN_LOG for key, value in readings.items() if value is None and key in _ABSENT}
    return factories.observation(ts, site_id=site, source="replay", errors=errors, **readings)


_ABSENT = {"par_umol_m2_s", "substrate_moisture_pct"}


def relays_unknown(ts: datetime, site: str) -> DeviceStatusV1:
    """The relay states that go with a field log's reading: the logs have none, so the heater is unknown."""
    return factories.device_status(ts, site_id=site, devices={"heater": RelayState.UNKNOWN})


def osu_observations(folder: Path) -> Iterator[ObservationV1]:
    """The OSU 2024 season: air temperature, RH, CO2; no PAR and no substrate sensor."""
    seen: set[datetime] = set()
    with (folder / OSU_FILE).open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        t_col, rh_col, co2_col = header.index("T Air"), header.index("RH"), header.index("CO2")
        for row in reader:
            ts = _localise(datetime.fromisoformat(row[0]), seen)
            readings = {
                "air_temperature_c": _float(row[t_col]),
                "relative_humidity_pct": _float(row[rh_col]),
                "co2_ppm": _float(row[co2_col]),
                "par_umol_m2_s": None,
                "substrate_moisture_pct": None,
            }
            yield _observation(ts, "osu-reference", readings)


def cornell_observations(folder: Path) -> Iterator[ObservationV1]:
    """The Cornell 2020-21 slice: temperature (degF converted), RH, PPFD as PAR, CO2; no substrate."""
    seen: set[datetime] = set()
    with (folder / CORNELL_FILE).open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            ts = _localise(datetime.strptime(row["Date"], "%m/%d/%Y %H:%M"), seen)
            temp_f = _float(row["Temp (F)"])
            readings = {
                "air_temperature_c": None if temp_f is None else (temp_f - 32.0) * 5.0 / 9.0,
                "relative_humidity_pct": _float(row["RH (%)"]),
                "co2_ppm": _float(row["CO2(ppm)"]),
                "par_umol_m2_s": _float(row["PPFD (umol/m2/s)"]),
                "substrate_moisture_pct": None,
            }
            yield _observation(ts, "cornell-co2lassi", readings)
