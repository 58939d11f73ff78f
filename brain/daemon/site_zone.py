"""The site time zone: a replay's is the one its input carries, the Pi's the one set or the system's.

Why: run directories are the site's local days (``timezone``), and a replayed
log belongs to the site that recorded it, not to the machine replaying it. An
imported log's sidecar and a brain data root's manifest carry that zone
(:func:`brain.sources.sidecar.replay_input_zone`); without them an Ohio log was
cut into UTC days.

A zone set explicitly (command line, ``BRAIN_TIMEZONE`` or the configuration
file) wins: an analyst may want a log in another calendar. When it differs from
the input's zone the start says so at warning level, and the manifest records the
zone the run used.

In hardware mode (:func:`with_site_zone`) the zone is the one set, else the system's
(``/etc/localtime``); without either the daemon refuses to start (exit 78, with the hint).
"""

from __future__ import annotations

from pathlib import Path

import structlog
from pydantic import ValidationError

from brain.advisor import AdvisorSettings
from brain.config import LoadedSettings, SourceKind
from brain.errors import ConfigError
from brain.sources.sidecar import replay_input_device_kinds, replay_input_place, replay_input_zone
from brain.timezones import known_time_zone

log = structlog.get_logger(__name__)


def with_input_zone(loaded: LoadedSettings) -> LoadedSettings:
    """``loaded`` with the replay input's site zone, unless ``timezone`` was set explicitly."""
    settings = loaded.settings
    path = settings.replay.path
    if settings.source is not SourceKind.REPLAY or path is None or not path.exists():
        return loaded  # the builder reports a missing input
    carried = replay_input_zone(path)
    if carried is None:
        return loaded
    origin = loaded.origins.get("timezone", "default")
    if origin != "default":
        if settings.timezone != carried.zone:
            log.warning(
                "replay_timezone_overridden",
                timezone=settings.timezone,
                origin=origin,
                input_timezone=carried.zone,
                told_by=str(carried.told_by),
            )
        return loaded
    log.info("replay_timezone_from_input", timezone=carried.zone, told_by=str(carried.told_by))
    return LoadedSettings(
        settings=settings.model_copy(update={"timezone": carried.zone}),
        origins={**loaded.origins, "timezone": str(carried.told_by)},
        config_file=loaded.config_file,
    )


def with_input_place(loaded: LoadedSettings) -> LoadedSettings:
    """``loaded`` with the replay input's place (its sidecar's) unless ``latitude``/``longitude`` is set.

    Why: an imported log's sunrise and sunset are those of the site that recorded it (its
    mapping names the place), as its days are those of its zone (:func:`with_input_zone`).
    """
    settings = loaded.settings
    path = settings.replay.path
    if settings.source is not SourceKind.REPLAY or path is None or not path.exists():
        return loaded
    carried = replay_input_place(path)
    if carried is None:
        return loaded
    explicit = [key for key in ("latitude", "longitude") if loaded.origins.get(key, "default") != "default"]
    if explicit:
        if (settings.latitude, settings.longitude) != (carried.latitude, carried.longitude):
            log.warning(
                "replay_place_overridden",
                latitude=settings.latitude,
                longitude=settings.longitude,
                input_latitude=carried.latitude,
                input_longitude=carried.longitude,
                told_by=str(carried.told_by),
            )
        return loaded
    told_by = str(carried.told_by)
    place = {"latitude": carried.latitude, "longitude": carried.longitude}
    log.info("replay_place_from_input", **place, told_by=told_by)
    return LoadedSettings(
        settings=settings.model_copy(update=place),
        origins={**loaded.origins, "latitude": told_by, "longitude": told_by},
        config_file=loaded.config_file,
    )


LOCALTIME = Path("/etc/localtime")
"""The system's zone: a link into a zoneinfo tree (``/usr/share/zoneinfo/Europe/Amsterdam``)."""
ZONE_HINT = (
    'set the site\'s IANA zone: timezone = "Europe/Amsterdam" in the configuration file, '
    "BRAIN_TIMEZONE, or the system's zone (timedatectl set-timezone Europe/Amsterdam)"
)


def system_zone(localtime: Path = LOCALTIME) -> str | None:
    """The IANA name ``localtime`` links to, if it is one this machine knows; else ``None``."""
    try:
        target = localtime.readlink()
    except OSError:
        return None
    parts = target.parts
    if "zoneinfo" not in parts:
        return None
    name = "/".join(parts[len(parts) - parts[::-1].index("zoneinfo") :])
    try:
        return known_time_zone(name) if name else None
    except ValueError:
        return None


def with_site_zone(loaded: LoadedSettings, *, localtime: Path = LOCALTIME) -> LoadedSettings:
    """Hardware mode: the site's zone as set, else the system's; refused without either (exit 78).

    Why: a Pi's nights, days and run directories are the site's local ones; a Pi whose
    ``timezone`` was never set judged its nights in UTC, silently (issue 28: OSU's warm
    nights, 12 instead of 8). The start says which zone it uses and where it came from.
    """
    settings = loaded.settings
    if settings.source is not SourceKind.HARDWARE:
        return loaded
    origin = loaded.origins.get("timezone", "default")
    if origin != "default":
        log.info("site_timezone", timezone=settings.timezone, told_by=origin)
        return loaded
    zone = system_zone(localtime)
    if zone is None:
        raise ConfigError(
            f"hardware mode needs the site's time zone and {localtime} names none: {ZONE_HINT}",
            key="timezone",
        )
    told_by = f"system {localtime}"
    log.info("site_timezone", timezone=zone, told_by=told_by)
    return LoadedSettings(
        settings=settings.model_copy(update={"timezone": zone}),
        origins={**loaded.origins, "timezone": told_by},
        config_file=loaded.config_file,
    )


def with_input_devices(loaded: LoadedSettings) -> LoadedSettings:
    """``loaded`` advising on the replayed log's own devices, unless ``[advisor.devices]`` was set.

    Why: an imported OSU or Cornell log names its vents, screens and lamps in its sidecar
    (``device_kinds``, written by ``brain import-csv``); brain's default devices are the
    synthetic greenhouse's relays, which such a log does not have, so without this a replay
    gave no advice at all. Devices set explicitly (any ``advisor.devices.*`` key from the
    command line, the environment or the configuration file) win, as for the zone.
    """
    settings = loaded.settings
    path = settings.replay.path
    if settings.source is not SourceKind.REPLAY or path is None or not path.exists():
        return loaded
    carried = replay_input_device_kinds(path)
    if carried is None:
        return loaded
    explicit = sorted(
        key
        for key, origin in loaded.origins.items()
        if key.startswith("advisor.devices.") and origin != "default"
    )
    if explicit:
        log.info("replay_devices_from_settings", keys=explicit, ignored=str(carried.told_by))
        return loaded
    log.info("replay_devices_from_input", devices=sorted(carried.kinds), told_by=str(carried.told_by))
    try:
        advisor = AdvisorSettings.model_validate({**settings.advisor.model_dump(), "devices": carried.kinds})
    except ValidationError as exc:
        raise ConfigError(
            f"the device names in {carried.told_by} are not valid: {exc.errors()[0]['msg']}",
            key="device_kinds",
            file=str(carried.told_by),
        ) from exc
    origins = {k: v for k, v in loaded.origins.items() if not k.startswith("advisor.devices.")}
    origins.update({f"advisor.devices.{name}": str(carried.told_by) for name in carried.kinds})
    return LoadedSettings(
        settings=settings.model_copy(update={"advisor": advisor}),
        origins=origins,
        config_file=loaded.config_file,
    )
