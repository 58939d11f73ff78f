"""The advice in force, as the uplink shows it: one Home Assistant entity per device kind, and in alerts.

What "in force" means is :mod:`brain.advice`'s (the newest action of a kind, not superseded,
not yet done by its device, at most two hours old); this module feeds it from the stored lines
and turns it into messages.

- :class:`AdviceFeed` follows the ``actions`` and ``device_status`` records the uplink delivers
  (history too, so that after a backlog it is right) and, with each fresh one, publishes one
  retained message per configured device kind on ``<prefix>/<site>/live/advice/<kind>``::

      {"site": "greenhouse-1", "kind": "cooling", "state": "turn_on", "as_of": "...",
       "attributes": {"kind": "cooling", "action_type": "turn_on", "device": "misting",
                      "target_position_pct": null, "advice": "turn_on misting",
                      "reason": "Air 29.9 °C and falling and VPD 2.06 kPa, misting off: start misting.",
                      "timestamp": "...", "in_response_to": {"stream": "state", ...}}}

  ``state`` is ``turn_on``, ``turn_off``, ``inspect`` or ``none`` (a Home Assistant automation
  triggers on it; the position to set is the attribute ``target_position_pct``, so that a new
  target does not read as a new kind of advice). Retained, so Home Assistant has the advice
  as soon as it starts; sent with every fresh device status (each poll), so a change of the
  device, or two hours passing, is shown within a poll.
- :func:`advice_for_anomaly` is the advice an alert about an anomaly carries: the actions that
  answer it by reference, else the advice in force for the kinds that answer its kind, judged
  from the tails of the newest runs' ``actions`` and ``device_status`` parts as of the anomaly's
  record (so an alert sent late, after an outage, carries the advice of its own time).

At a start, the feed reads the same tails (:func:`recent_book`): the advice in force is known
before the first new action. Reads are bounded: the last :data:`TAIL_BYTES` of each part of the
two newest runs, regular files only (:func:`brain.uplink.follow.open_part`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from brain.advice import ActionLine, AdviceBook, DeviceLine, state_of
from brain.uplink.follow import UNREADABLE, Part, PartIndex, open_part
from brain.uplink.messages import Topics
from brain.uplink.records import AnomalyLine

RECENT_RUNS = 2
"""Run folders read for the advice in force: today's and yesterday's (the horizon is 2 hours)."""
TAIL_BYTES = 64 * 1024
"""Bytes read from the end of each part: about 300 device statuses, some 200 actions (days of them); kept
small for the uplink's memory budget (bench/uplink.py)."""
_EMPTY_ATTRIBUTES = {
    "action_type": None,
    "device": None,
    "target_position_pct": None,
    "advice": None,
    "reason": None,
    "timestamp": None,
    "in_response_to": None,
}


def part_tail(part: Part, max_bytes: int = TAIL_BYTES) -> list[bytes]:
    """The complete lines in the last ``max_bytes`` of a part's content (a cut first line left out).

    A ``.gz`` is decompressed in chunks keeping only the tail; an unreadable part gives nothing.
    """
    try:
        with open_part(part) as handle:
            if part.compressed:
                tail, cut = b"", False
                while chunk := handle.read(max_bytes):
                    cut = cut or len(tail) + len(chunk) > max_bytes
                    tail = (tail + chunk)[-max_bytes:]
            else:
                size = handle.seek(0, 2)
                handle.seek(max(0, size - max_bytes))
                tail, cut = handle.read(max_bytes), size > max_bytes
    except UNREADABLE:
        return []
    lines = tail.split(b"\n")[:-1]  # the last piece is empty or a line still being written
    return lines[1:] if cut else lines


def _recent_parts(index: PartIndex, stream: str) -> list[Part]:
    parts = index.parts(stream)
    runs = sorted({part.key.split("/", 1)[0] for part in parts})[-RECENT_RUNS:]
    return [part for part in parts if part.key.split("/", 1)[0] in runs]


def recent_book(
    index: PartIndex, device_kinds: Mapping[str, str], until: datetime | None = None
) -> AdviceBook:
    """The actions and device statuses in the newest runs' tails up to ``until`` (damaged lines skipped)."""
    book = AdviceBook(device_kinds)
    for stream, parse in (("actions", ActionLine.of_line), ("device_status", DeviceLine.of_line)):
        for part in _recent_parts(index, stream):
            for line in part_tail(part):
                try:
                    record = parse(line)
                except (ValueError, TypeError):
                    continue
                if until is not None and record.timestamp > until:
                    continue
                if isinstance(record, ActionLine):
                    book.add_action(record)
                else:
                    book.add_status(record)
    return book


def advice_for_anomaly(
    index: PartIndex, device_kinds: Mapping[str, str], anomaly: AnomalyLine, at: datetime
) -> str | None:
    """The advice an alert about ``anomaly`` (its record of time ``at``) carries: reasons, or ``None``.

    Only for an episode's start or escalation (an end needs no advice). Each reason is the
    advisor's sentence, which names the readings and the device: "Air 29.9 °C and falling and
    VPD 2.06 kPa, misting off: start misting."
    """
    if anomaly.ended_at is not None:
        return None
    book = recent_book(index, device_kinds, until=at)
    actions = book.answering(anomaly.kind.value, at, at)
    return " ".join(action.reason for action in actions) or None


class AdviceFeed:
    """The advice in force per device kind, kept from the delivered records, and its retained messages."""

    def __init__(self, site: str, topics: Topics, book: AdviceBook) -> None:
        self.site = site
        self.topics = topics
        self.book = book

    def update(self, stream: str, data: dict[str, Any]) -> None:
        """One delivered record of ``actions`` or ``device_status``; :class:`ValueError` if damaged."""
        if stream == "actions":
            self.book.add_action(ActionLine.of(data))
        elif stream == "device_status":
            self.book.add_status(DeviceLine.of(data))

    def messages(self, now: datetime) -> list[tuple[str, bytes]]:
        """One ``(topic, payload)`` per configured kind: its advice in force at ``now``."""
        out = []
        for kind, action in self.book.by_kind(now).items():
            attributes: dict[str, Any] = {"kind": kind, **_EMPTY_ATTRIBUTES}
            if action is not None:
                attributes |= action.attributes(kind) | {"advice": action.words()}
            body = {
                "site": self.site,
                "kind": kind,
                "state": state_of(action),
                "as_of": now.isoformat(),
                "attributes": attributes,
            }
            out.append((self.topics.live_advice(kind), json.dumps(body, ensure_ascii=False).encode()))
        return out
