"""The daily digest on ntfy and the webhook: one message per local day (issue 28, item 3).

Why: with the alert policy (:mod:`brain.uplink.alert_policy`) some things are no longer pushed
(a fault repeating within its window, an episode the house was acting on), and a grower still
wants to read them once a day, with the day's figures: the 24 h mean, min and max, the hours
outside the band, the light integral, the open and closed episodes, the sensors to check and
the standing notices. The figures are :func:`brain.episodes.daily_digest`'s, over the day's
stored records (read here as light JSON, not the record models: the uplink's memory budget).

When: at ``digest_hour`` (site-local) the digest of the day just ended is queued, once; the day
told is kept in the ``anomalies`` alert cursor (``state.digest_day``) and written in the same
atomic cursor write as the queued message, so a restart neither repeats nor forgets it. An
uplink down for several days sends the latest day's digest when it is back, not each missed
day's. Deterministic: the same records give the same text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from brain.episodes import DailyDigest, Episode, EpisodeKey, daily_digest, episode_key
from brain.layout import run_dir_name, stream_parts
from brain.names import SensorKey
from brain.uplink.cursor import cursor_path, read_cursor
from brain.uplink.records import AnomalyLine, Record, read_record
from brain.uplink.settings import AlertSettings

DIGEST_SOURCE = "digest"
"""The digest's ``source`` on ntfy and the webhook (an alert's is its stream)."""
ANOMALY_DAYS = 14
"""Days of anomaly records read before the digest's day: an episode open since then is paired
from its start (the alert cursor remembers open episodes as long)."""


@dataclass(frozen=True)
class _State:
    timestamp: datetime
    air_temperature_c: float | None
    par_umol_m2_s: float | None


@dataclass(frozen=True)
class _Health:
    timestamp: datetime
    sensor: SensorKey
    fault: str


def due_day(now: datetime, zone: ZoneInfo, hour: int, told: str | None) -> date | None:
    """The day whose digest is due at ``now``, or ``None`` when it was told already.

    The due day is the last local day ended before ``hour`` today; ``told``: the last day told (ISO).
    """
    local = now.astimezone(zone)
    latest = local.date() - timedelta(days=1 if local.hour >= hour else 2)
    if told is not None and date.fromisoformat(told) >= latest:
        return None
    return latest


def _records(data_root: Path, stream: str, day: date) -> Iterator[Record]:
    """The records of ``stream`` in the run directory of ``day``; damaged lines passed over.

    Compressed parts are not read: a start must not decompress history (issue 24), and the day
    told is yesterday, which retention compresses only after ``compress_after_days`` (7 by
    default). An episode that began in a compressed day is told from its first plain record.
    """
    for part in stream_parts(data_root / run_dir_name(day), stream):
        if part.compressed:
            continue
        try:
            with part.path.open("rb") as handle:
                for line in handle:
                    try:
                        yield read_record(line)
                    except ValueError:
                        continue
        except (OSError, EOFError):  # a part unreadable: the digest tells what the others hold
            continue


def _number(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def day_digest(
    data_root: Path, day: date, zone: ZoneInfo, band: tuple[float, float]
) -> tuple[DailyDigest, set[EpisodeKey]]:
    """The digest of the local ``day``, and the episodes whose records say they are standing.

    From the stored ``state``, ``anomalies`` and ``sensor_health``; standing: AnomalyV1 1.2.

    Run directories are named by the site-local date of their records; the day before and after
    are read too, for records near midnight.
    """
    start = datetime.combine(day, time(), zone)
    end = datetime.combine(day + timedelta(days=1), time(), zone)
    near = [day - timedelta(days=1), day, day + timedelta(days=1)]
    states = sorted(
        (
            _State(r.timestamp, _number(r.data, "air_temperature_c"), _number(r.data, "par_umol_m2_s"))
            for d in near
            for r in _records(data_root, "state", d)
        ),
        key=lambda state: state.timestamp,
    )
    anomalies: list[AnomalyLine] = []
    standing: set[EpisodeKey] = set()
    for back in range(ANOMALY_DAYS, -2, -1):
        for record in _records(data_root, "anomalies", day - timedelta(days=back)):
            try:
                if record.timestamp < end:
                    anomalies.append(AnomalyLine.from_fields(record.data))
                    if record.data.get("standing") is True:
                        standing.add(episode_key(anomalies[-1]))
            except ValueError:
                continue
    health: list[_Health] = []
    for d in near:
        for record in _records(data_root, "sensor_health", d):
            try:
                health.append(
                    _Health(
                        record.timestamp,
                        SensorKey(str(record.data.get("sensor"))),
                        str(record.data.get("fault")),
                    )
                )
            except ValueError:
                continue
    return daily_digest(day, (start, end), states, anomalies, health, band=band), standing


def standing_text(digest: DailyDigest, episodes: set[EpisodeKey], sensors: dict[str, Any]) -> str:
    """The standing notices, or ``none``.

    Sensors whose fault keeps coming back (``sensors``: from the ``sensor_health`` alert cursor)
    and the episodes open at the day's end that are standing conditions (AnomalyV1 1.2).
    """
    told = [
        f"{sensor} {notice['fault']} ({notice['count']} times since {notice['first'][:16]})"
        for sensor, notice in sorted(sensors.items())
    ]
    told += [
        f"{e.kind.value} (a standing condition since {e.started_at:%m-%d %H:%M})"
        for e in digest.open_episodes
        if e.key in episodes
    ]
    return "; ".join(told) or "none"


def digest_message(
    site: str, digest: DailyDigest, episodes: set[EpisodeKey], standing: dict[str, Any]
) -> tuple[str, str, dict[str, Any]]:
    """The digest's title, text and JSON body (the webhook's ``record``, Home Assistant's attributes).

    ``episodes``: the standing episodes (:func:`day_digest`); ``standing``: the sensors' standing
    notices from the ``sensor_health`` alert cursor.
    """
    text = f"{digest.text(site)} Standing: {standing_text(digest, episodes, standing)}."
    body = {
        "day": digest.day.isoformat(),
        "mean_c": _round(digest.mean_c),
        "min_c": _round(digest.min_c),
        "max_c": _round(digest.max_c),
        "hours_outside": round(digest.hours_outside, 2),
        "band_c": list(digest.band),
        "light_mol_m2": _round(digest.light_mol_m2),
        "open_episodes": [_episode(e) for e in digest.open_episodes],
        "closed_episodes": [_episode(e) for e in digest.closed_episodes],
        "sensors_to_check": {sensor.value: fault for sensor, fault in digest.sensors_to_check.items()},
        "standing": standing,
        "text": text,
    }
    return f"{site}: the day of {digest.day.isoformat()}", text, body


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _episode(episode: Episode) -> dict[str, Any]:
    return {
        "kind": episode.kind.value,
        "severity": episode.severity.value,
        "started_at": episode.started_at.isoformat(),
        "ended_at": None if episode.ended_at is None else episode.ended_at.isoformat(),
    }


class DigestTopic:
    """The digest for Home Assistant: a retained topic, ``<prefix>/<site>/digest`` (docs/fleet.md).

    Why not once per day across restarts, as on ntfy: a retained message is a state, not a
    push; the latest due day's digest is published at start (and again on every connection, as
    a broker without persistence forgets retained messages), then each day at ``digest_hour``.
    The standing notices are read from the ``sensor_health`` alert cursor when there is one.
    """

    def __init__(self, data_root: Path, site: str, timezone: str, settings: AlertSettings) -> None:
        self.data_root = data_root
        self.site = site
        self.zone = ZoneInfo(timezone)
        self.settings = settings
        self.day: str | None = None
        self.payload: bytes | None = None

    def due(self, now: datetime) -> bytes | None:
        """The payload to publish now (a new day's digest), or ``None``."""
        if not self.settings.digest:
            return None
        day = due_day(now, self.zone, self.settings.digest_hour, self.day)
        if day is None:
            return None
        digest, episodes = day_digest(self.data_root, day, self.zone, self.settings.digest_band_c)
        _, _, body = digest_message(self.site, digest, episodes, self._standing())
        self.day, self.payload = day.isoformat(), json.dumps(body).encode()
        return self.payload

    def _standing(self) -> dict[str, Any]:
        try:
            cursor = read_cursor(cursor_path(self.data_root, "alerts", "sensor_health"))
        except (OSError, ValueError):
            return {}
        standing = cursor.state.get("standing") if cursor is not None else None
        return standing if isinstance(standing, dict) else {}
