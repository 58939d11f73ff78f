import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from brain.cli import tools_main
from brain.contracts import STREAMS
from brain.errors import StorageError
from brain.storage import DatasetWriter, apply_retention
from brain.storage.export import PUBLIC_FIELDS, export_public
from tests.factories import T0, record
from tests.storage.jsonl_files import json_lines, tree

# What must never leave the greenhouse, as the payloads in tests/factories.py spell it.
SITE = "greenhouse-1"
PRIVATE_TEXT = ["no ACK", "Air temperature above 30 C.", "Ventilate to cool."]


def fill_all_streams(make_writer: Callable[..., DatasetWriter]) -> None:
    writer = make_writer()
    for day in range(2):
        for stream in STREAMS:
            writer.write(stream, record(stream, T0 + timedelta(days=day, hours=12)))
    writer.close()


def test_export_filters_private_fields(
    make_writer: Callable[..., DatasetWriter], data_root: Path, tmp_path: Path
) -> None:
    fill_all_streams(make_writer)
    public = tmp_path / "public"
    report = export_public(data_root, public)

    assert report.records == dict.fromkeys(STREAMS, 2) and report.malformed == 0
    assert tree(public) == sorted(f"run_2026060{d}/{stream}.0000.jsonl" for d in (1, 2) for stream in STREAMS)
    for path in public.rglob("*.jsonl"):
        text = path.read_text()
        assert SITE not in text and not any(private in text for private in PRIVATE_TEXT)
        stream = path.name.split(".")[0]
        for line in json_lines(path):
            assert "site_id" not in line and set(line) <= set(PUBLIC_FIELDS[stream])
    (observation,) = json_lines(public / "run_20260601" / "observations.0000.jsonl")
    assert observation == {
        "schema_version": "1.0",
        "timestamp": "2026-06-01T12:00:00Z",
        "source": "synthetic",
        "sensors": {
            "air_temperature_c": 24.5,
            "relative_humidity_pct": 68.0,
            "co2_ppm": 610.0,
            "par_umol_m2_s": 850.0,
            "substrate_moisture_pct": None,
        },
    }
    (state,) = json_lines(public / "run_20260601" / "state.0000.jsonl")
    assert state["device_status"] == {
        "schema_version": "1.0",
        "timestamp": "2026-06-01T12:00:00Z",
        "devices": {"heater": "off", "vent_fan": "on", "co2_valve": "unknown"},
    }
    assert state["vpd_kpa"] == 0.985 and state["confidence"] == 0.8


def test_every_public_field_exists_in_its_contract() -> None:
    # A typo in the whitelist would silently drop a field that was meant to be shared.
    for stream, fields in PUBLIC_FIELDS.items():
        assert set(fields) <= set(STREAMS[stream].model_fields), stream


def test_export_of_a_compressed_run_and_of_a_single_file(
    make_writer: Callable[..., DatasetWriter], data_root: Path, tmp_path: Path
) -> None:
    fill_all_streams(make_writer)
    apply_retention(data_root, T0.date() + timedelta(days=30), retention_days=400, compress_after_days=7)
    run_export = export_public(data_root / "run_20260601", tmp_path / "run")
    assert run_export.records == dict.fromkeys(STREAMS, 1)
    assert (tmp_path / "run" / "run_20260601" / "anomalies.0000.jsonl").is_file()  # written plain

    single = data_root / "run_20260602" / "anomalies.0000.jsonl.gz"
    file_export = export_public(single, tmp_path / "one")
    assert tree(tmp_path / "one") == ["run_20260602/anomalies.0000.jsonl"]
    (anomaly,) = json_lines(tmp_path / "one" / "run_20260602" / "anomalies.0000.jsonl")
    assert "message" not in anomaly and anomaly["kind"] == "temperature_high"
    assert file_export.records == {"anomalies": 1}


def test_export_refuses_to_overwrite_or_guess(tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "old.jsonl").write_text("{}\n")
    with pytest.raises(StorageError, match="refusing to overwrite"):
        export_public(tmp_path, taken)
    stray = tmp_path / "notes.jsonl"
    stray.write_text("{}\n")
    with pytest.raises(StorageError, match="cannot tell its record kind"):
        export_public(stray, tmp_path / "out")


def test_brain_export_public_command(
    make_writer: Callable[..., DatasetWriter],
    data_root: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fill_all_streams(make_writer)
    bad = data_root / "run_20260601" / "observations.0000.jsonl"
    bad.write_bytes(bad.read_bytes() + b"{broken\n")
    assert tools_main(["export-public", str(data_root), str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "observations=2" in out and "1 malformed lines skipped" in out
    assert (
        tools_main(["export-public", str(data_root), str(tmp_path / "out2"), "--on-malformed", "fail"]) == 1
    )
    err = capsys.readouterr().err
    assert f"{bad}:2:" in err  # one record, then the broken line
    assert (
        json.loads((tmp_path / "out" / "run_20260601" / "state.0000.jsonl").read_text())["confidence"] == 0.8
    )


def test_export_takes_str_paths(
    make_writer: Callable[..., DatasetWriter], data_root: Path, tmp_path: Path
) -> None:
    fill_all_streams(make_writer)
    report = export_public(str(data_root), str(tmp_path / "public"))
    assert report.records == dict.fromkeys(STREAMS, 2)
    assert (tmp_path / "public" / "run_20260601" / "observations.0000.jsonl").is_file()
