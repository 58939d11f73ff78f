"""A minimal central store for brain's history topics: SQLite, gaps detected, duplicates dropped.

Run on the server that collects several greenhouses (docs/fleet.md)::

    pip install 'paho-mqtt>=2.1,<3'
    python brain_consumer.py --host broker.example.org --db brain.sqlite

Every message is ``{"site", "stream", "epoch", "seq", "record"}``. ``(site, stream,
epoch, seq)`` is the primary key, so a record delivered twice (at-least-once
delivery) is stored once; a ``seq`` that skips ahead is logged as a gap, which
closes when the missing record arrives. A new ``epoch`` means that greenhouse's
cursor started afresh: its records arrive again under the new epoch.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    site TEXT NOT NULL, stream TEXT NOT NULL, epoch TEXT NOT NULL, seq INTEGER NOT NULL,
    timestamp TEXT NOT NULL, record TEXT NOT NULL,
    PRIMARY KEY (site, stream, epoch, seq)
)
"""


class Store:
    """What the consumer keeps: the rows, and per (site, stream, epoch) the highest seq seen."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.execute(SCHEMA)
        self.duplicates = 0
        self.gaps: set[tuple[str, str, str, int]] = set()

    def add(self, message: dict[str, Any]) -> None:
        """Store one message; count a duplicate, note a gap, close one."""
        key = (message["site"], message["stream"], message["epoch"])
        row = (*key, message["seq"], message["record"]["timestamp"], json.dumps(message["record"]))
        inserted = self.db.execute("INSERT OR IGNORE INTO records VALUES (?, ?, ?, ?, ?, ?)", row).rowcount
        self.db.commit()
        if not inserted:
            self.duplicates += 1
            return
        self.gaps.discard((*key, message["seq"]))
        (highest,) = self.db.execute(
            "SELECT MAX(seq) FROM records WHERE site = ? AND stream = ? AND epoch = ? AND seq < ?",
            (*key, message["seq"]),
        ).fetchone()
        below = -1 if highest is None else highest
        for missing in range(below + 1, message["seq"]):
            if (*key, missing) not in self.gaps:
                self.gaps.add((*key, missing))
                print(f"gap: {key} seq {missing} not received (yet)", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    """Subscribe to every site's history topics and store what arrives until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--prefix", default="brain")
    parser.add_argument("--db", default="brain.sqlite")
    parser.add_argument("--client-id", default="brain-central-store")
    args = parser.parse_args(argv)
    store = Store(args.db)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=args.client_id, clean_session=False)

    def on_connect(client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        client.subscribe(f"{args.prefix}/+/history/+", qos=1)
        print("subscribed", flush=True)

    def on_message(client: Any, userdata: Any, message: Any) -> None:
        store.add(json.loads(message.payload))
        print(
            f"stored={store.db.execute('SELECT COUNT(*) FROM records').fetchone()[0]} "
            f"duplicates={store.duplicates} gaps={len(store.gaps)}",
            flush=True,
        )

    client.on_connect = on_connect
    client.on_message = on_message
    client.connect(args.host, args.port)
    client.loop_forever()


if __name__ == "__main__":
    main()
