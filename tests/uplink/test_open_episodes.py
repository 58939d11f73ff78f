"""Open anomaly episodes are kept in the anomalies cursor, so a start reads no history to find them."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from structlog.testing import capture_logs

from brain.storage import DatasetWriter
from brain.uplink.cursor import cursor_path
from brain.uplink.live import SAVED_EPISODES, OpenEpisodes
from brain.uplink.publisher import Credentials
from brain.uplink.records import AnomalyLine
from brain.uplink.service import Uplink
from tests.factories import T0, minutes, record
from tests.uplink.broker import Broker
from tests.uplink.test_uplink import drain, make_plan


def test_open_episodes_survive_the_cursor_newest_first_and_bounded() -> None:
    episodes = OpenEpisodes()
    for moment in minutes(SAVED_EPISODES + 3, step=timedelta(hours=1)):
        episodes.update(AnomalyLine.of(record("anomalies", moment).model_dump_json().encode()))
    saved = episodes.to_state()
    assert len(saved) == SAVED_EPISODES and len(json.dumps(saved)) < 3000
    again = OpenEpisodes.from_state(json.loads(json.dumps(saved)))
    assert again.to_state() == saved
    payload = json.loads(again.payload("greenhouse-1", T0 + timedelta(days=1)))
    assert payload["active"] and len(payload["episodes"]) == SAVED_EPISODES


def test_the_uplink_keeps_them_in_the_cursor_and_reads_the_log_only_when_they_are_damaged(
    data_root: Path, broker: Broker, writer: DatasetWriter
) -> None:
    writer.write("anomalies", record("anomalies", T0))
    writer.flush()
    drain(data_root, broker)
    path = cursor_path(data_root, "mqtt", "anomalies")
    stored = json.loads(path.read_text())
    [episode] = stored["state"]["open_episodes"]
    assert episode["kind"] == "temperature_high" and episode["started_at"] == T0.isoformat()
    restarted = Uplink(make_plan(data_root, broker), Credentials(None))
    assert restarted.episodes.to_state() == [episode]
    stored["state"]["open_episodes"] = [{"kind": "no such kind"}]
    path.write_text(json.dumps(stored))
    with capture_logs() as logs:
        from_log = Uplink(make_plan(data_root, broker), Credentials(None))
    assert any(e["event"] == "uplink_open_episodes_unreadable" for e in logs)
    assert from_log.episodes.to_state() == [episode]
