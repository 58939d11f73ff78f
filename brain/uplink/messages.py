"""What brain publishes: the topics, and the one message shape every topic carries.

Topics (``<prefix>`` is ``uplink.topic_prefix``, default ``brain``; ``<site>`` the site id)::

    <prefix>/<site>/history/<stream>              every record, backlog included; QoS 1, not retained
    <prefix>/<site>/live/<stream>                 observations, state, anomalies: fresh records only; QoS 0
    <prefix>/<site>/live/sensor_health/<sensor>   one sensor's fresh health records; QoS 0
    <prefix>/<site>/live/anomaly_active           the open anomaly episodes, with each live observation
    <prefix>/<site>/live/actions                  the advisor's fresh actions; QoS 0
    <prefix>/<site>/live/advice/<kind>            the advice in force for one device kind: retained
    <prefix>/<site>/live/digest                   the daily digest of the day before; QoS 1, retained
    <prefix>/<site>/uplink/availability           ``online`` / ``offline``: retained, the last will

A message is the stored record inside an envelope naming where it comes from::

    {"site": "greenhouse-1", "stream": "state", "epoch": "5f0c2a9e41d7", "seq": 1440,
     "record": {"schema_version": "1.0", "timestamp": "2026-06-01T23:59:00+00:00", ...}}

``(site, stream, epoch, seq)`` identifies a record: ``seq`` counts a stream's
records from 0 without gaps, so a consumer that sees 17 after 15 knows 16 is
missing (still to come: delivery is at least once), and one that sees 15 twice
drops the second. ``epoch`` changes only when a cursor had to be started afresh
(docs/fleet.md). ``record`` is the line exactly as stored, so a consumer reads
the same JSON as ``brain export`` or the replay source.

Why live topics are separate, QoS 0 and fed only with fresh records: Home
Assistant stamps a value with its arrival time, so a value from a backlog would
be shown as the greenhouse now. A record is fresh when its own timestamp is at
most ``live_max_age_s`` old (default two poll intervals) when it is read; a
record read after an outage is history only. QoS 0 because a live value lost on
a dropped connection is replaced by the next poll, and one resent minutes later
would lie.
"""

from __future__ import annotations

import json
from datetime import datetime

HISTORY = "history"
LIVE = "live"
AVAILABILITY_ONLINE = "online"
AVAILABILITY_OFFLINE = "offline"


class Topics:
    """The topic names of one site under one prefix."""

    def __init__(self, prefix: str, site: str) -> None:
        self.base = f"{prefix}/{site}"
        self.availability = f"{self.base}/uplink/availability"
        self.anomaly_active = f"{self.base}/{LIVE}/anomaly_active"
        self.digest = f"{self.base}/{LIVE}/digest"
        """The daily digest of the day before, retained (brain/uplink/digest.py); under ``live`` like
        ``anomaly_active`` (the current truth), so a broker's ACL for the live topics covers it."""

    def history(self, stream: str) -> str:
        """Every record of ``stream``."""
        return f"{self.base}/{HISTORY}/{stream}"

    def live(self, stream: str) -> str:
        """Fresh records of ``stream``."""
        return f"{self.base}/{LIVE}/{stream}"

    def live_advice(self, kind: str) -> str:
        """The advice in force for one device kind (brain/uplink/advice.py)."""
        return f"{self.base}/{LIVE}/advice/{kind}"

    def live_health(self, sensor: str) -> str:
        """Fresh health records of one sensor."""
        return f"{self.base}/{LIVE}/sensor_health/{sensor}"


def envelope(site: str, stream: str, epoch: str, seq: int, record_line: bytes) -> bytes:
    """The message of one stored record: the line exactly as stored inside its envelope."""
    head = json.dumps({"site": site, "stream": stream, "epoch": epoch, "seq": seq})
    return head[:-1].encode() + b', "record": ' + record_line + b"}"


def is_fresh(record_time: datetime, now: datetime, max_age_s: float) -> bool:
    """Fresh enough for the live topics: at most ``max_age_s`` old, nor more than that in the future."""
    age_s = (now - record_time).total_seconds()
    return -max_age_s <= age_s <= max_age_s
