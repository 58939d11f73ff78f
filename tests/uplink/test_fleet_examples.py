"""docs/examples: the Telegraf json_v2 config and the Python consumer read brain's real messages right."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

from brain.storage import DatasetWriter
from tests.conftest import PROJECT_ROOT
from tests.factories import T0, minutes, observation, record
from tests.runs import wait_until
from tests.uplink.broker import Broker, Subscriber
from tests.uplink.test_uplink import drain

EXAMPLES = PROJECT_ROOT / "docs" / "examples"
MISSING = object()


def path_value(message: dict[str, Any], path: str) -> Any:
    """The value at a dotted GJSON path (the subset the example uses), or MISSING."""
    node: Any = message
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def real_messages(data_root: Path, broker: Broker, writer: DatasetWriter) -> list[tuple[str, dict[str, Any]]]:
    for index, moment in enumerate(minutes(30)):
        nulls = {"substrate_moisture_pct": None, "co2_ppm": None} if index % 3 else {}
        writer.write("observations", observation(moment, **nulls))  # type: ignore[arg-type]
        writer.write("state", record("state", moment))
    writer.flush()
    subscriber = Subscriber(broker.port, ["brain/+/history/#"], client_id="telegraf-stand-in")
    try:
        drain(data_root, broker)
        subscriber.wait_for(lambda: len(subscriber.messages) == 60)
        return [(m.topic, m.json()) for m in subscriber.messages]
    finally:
        subscriber.close()


def test_the_telegraf_json_v2_config_parses_brains_messages(
    data_root: Path, broker: Broker, writer: DatasetWriter
) -> None:
    config = tomllib.loads((EXAMPLES / "telegraf-brain.conf").read_text())
    [consumer] = config["inputs"]["mqtt_consumer"]
    assert consumer["qos"] == 1 and consumer["persistent_session"] is True
    blocks = {block["measurement_name"]: block for block in consumer["json_v2"]}
    [parsing] = consumer["topic_parsing"]
    tag_names = parsing["tags"].split("/")
    fields_seen: dict[str, int] = {}
    for topic, message in real_messages(data_root, broker, writer):
        topic_tags = {
            name: level for name, level in zip(tag_names, topic.split("/"), strict=True) if name != "_"
        }
        assert topic_tags == {"site": message["site"], "stream": message["stream"]}
        block = blocks[f"brain_{message['stream']}"]
        stamp = path_value(message, block["timestamp_path"])
        assert datetime.fromisoformat(stamp).tzinfo is not None  # rfc3339
        for tag in block["tag"]:
            assert isinstance(path_value(message, tag["path"]), str)
        for field in block["field"]:
            value = path_value(message, field["path"])
            if value is None or value is MISSING:
                assert field.get("optional"), f"{field['path']} absent in a real message and not optional"
                continue
            expected = {"float": (int, float), "int": (int,)}[field["type"]]
            assert isinstance(value, expected) and not isinstance(value, bool), (field, value)
            name = field.get("rename", field["path"])
            fields_seen[name] = fields_seen.get(name, 0) + 1
    assert fields_seen["seq"] == 60
    assert fields_seen["air_temperature_c"] == 30 and fields_seen["co2_ppm"] == 10  # nulls skipped
    assert fields_seen["vpd_kpa"] == 30


def test_the_example_consumer_stores_each_record_once_and_reports_gaps(
    tmp_path: Path, data_root: Path, broker: Broker, writer: DatasetWriter
) -> None:
    database = tmp_path / "central.sqlite"
    consumer = subprocess.Popen(
        [
            sys.executable,
            str(EXAMPLES / "brain_consumer.py"),
            "--port",
            str(broker.port),
            "--db",
            str(database),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert consumer.stdout is not None and consumer.stderr is not None
    printed: list[str] = []

    def read() -> None:
        for line in consumer.stdout or []:
            printed.append(line)

    reader = threading.Thread(target=read, daemon=True)
    try:
        assert consumer.stdout.readline().strip() == "subscribed"
        reader.start()
        for moment in minutes(20):
            writer.write("observations", record("observations", moment))
        writer.flush()
        drain(data_root, broker)
        drain(data_root, broker)  # nothing new: nothing sent again
        _wait_for_rows(database, 20)
        import paho.mqtt.publish as publish

        with sqlite3.connect(database) as db:
            (epoch,) = db.execute("SELECT DISTINCT epoch FROM records").fetchone()
        body = {
            "site": "greenhouse-1",
            "stream": "observations",
            "epoch": epoch,
            "record": json.loads(record("observations", T0).model_dump_json()),
        }
        publish.single(
            "brain/greenhouse-1/history/observations", json.dumps({**body, "seq": 3}), qos=1, port=broker.port
        )
        publish.single(
            "brain/greenhouse-1/history/observations",
            json.dumps({**body, "seq": 25}),
            qos=1,
            port=broker.port,
        )
        # It prints its counts after each message, gaps first: stored=21 once seq 25 (the last sent) is in.
        wait_until(
            lambda: any(line.startswith("stored=21 ") for line in printed),
            f"seq 25 stored: {printed}",
            timeout=20,
        )
    finally:
        consumer.terminate()
        consumer.wait(timeout=30)
        reader.join(timeout=30)
        err = consumer.stderr.read()
    out = "".join(printed)
    last = out.strip().splitlines()[-1]
    assert last == "stored=21 duplicates=1 gaps=5", out
    assert [line for line in err.splitlines() if line.startswith("gap:")] == [
        f"gap: ('greenhouse-1', 'observations', '{epoch}') seq {seq} not received (yet)"
        for seq in range(20, 25)
    ]


def _wait_for_rows(database: Path, count: int) -> None:
    def stored() -> bool:
        if not database.exists():
            return False
        with sqlite3.connect(database) as db:
            return bool(db.execute("SELECT COUNT(*) FROM records").fetchone()[0] >= count)

    wait_until(stored, f"{count} rows in {database}", timeout=20)
