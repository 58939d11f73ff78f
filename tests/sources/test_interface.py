"""Every source obeys the same contract, so the daemon can poll any of them the same way.

The contract (brain/sources/base.py, docs/sources.md): every observation is a
valid ObservationV1; timestamps strictly increase; ``device_status()`` carries
the same timestamp and site as the observation it goes with; ``None`` at the end
and forever after; ``close()`` is idempotent; ``next_timestamp()`` of a timed
source announces the next observation's time without consuming it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from brain.contracts import DeviceStatusV1, ObservationV1
from brain.errors import SourceError
from brain.sources.base import Source, TimedSource
from brain.sources.synthetic.source import SyntheticSource
from tests.factories import observation

START = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
SourceFactory = Callable[[Path], Source]


def _synthetic(_tmp: Path) -> Source:
    return SyntheticSource(
        seed=3, start=START, poll_interval_s=300.0, duration_s=4 * 3600.0, site_id="greenhouse-contract"
    )


def _replay(tmp: Path) -> Source:
    replay = pytest.importorskip("brain.sources.replay")
    path = tmp / "observations.jsonl"
    lines = [
        observation(
            START + timedelta(minutes=5 * k),
            site_id="greenhouse-contract",
            source="replay",
            errors={"substrate_moisture_pct": "not in source log"},
            air_temperature_c=20.0 + 0.1 * k,
            relative_humidity_pct=70.0 - 0.2 * k,
            co2_ppm=600.0 + k,
            par_umol_m2_s=300.0 + 10 * k,
            substrate_moisture_pct=None,
        ).model_dump_json()
        for k in range(12)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    source: Source = replay.ReplaySource(path)
    return source


@pytest.mark.parametrize("make_source", [_synthetic, _replay], ids=["synthetic", "replay"])
def test_sources_implement_next_observation_contract(make_source: SourceFactory, tmp_path: Path) -> None:
    source = make_source(tmp_path)
    assert isinstance(source, Source)
    with pytest.raises(SourceError):
        source.device_status()

    seen: list[datetime] = []
    while True:
        announced = source.next_timestamp() if isinstance(source, TimedSource) else None
        observation = source.next_observation()
        if observation is None:
            assert announced is None
            break
        if isinstance(source, TimedSource):
            assert announced == observation.timestamp
        # A valid ObservationV1, also after a trip through JSON (what storage and replay do).
        assert ObservationV1.model_validate_json(observation.model_dump_json()) == observation
        assert set(observation.errors) <= {
            key for key, value in observation.sensors.model_dump().items() if value is None
        }
        status = source.device_status()
        assert DeviceStatusV1.model_validate_json(status.model_dump_json()) == status
        assert (status.timestamp, status.site_id) == (observation.timestamp, observation.site_id)
        assert not seen or observation.timestamp > seen[-1], "timestamps must strictly increase"
        seen.append(observation.timestamp)

    assert len(seen) >= 10
    for _ in range(3):
        assert source.next_observation() is None, "the end of the stream is permanent"
    source.close()
    source.close()
    assert source.next_observation() is None
