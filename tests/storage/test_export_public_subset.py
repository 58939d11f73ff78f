import json
import os
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from brain.cli import tools_main
from brain.contracts import STREAMS
from brain.errors import StorageError
from brain.storage import DatasetWriter, StorageSettings, apply_retention
from brain.storage.export import PUBLIC_FIELDS, export_public
from tests.factories import T0, device_status, record
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


def test_export_never_writes_into_a_data_root_nor_into_its_source(
    make_writer: Callable[..., DatasetWriter], data_root: Path, tmp_path: Path
) -> None:
    fill_all_streams(make_writer)
    live = make_writer()  # a writer holds the data root now
    before = tree(data_root)
    for inside in (data_root / "run_x", data_root / "public" / "deeper", data_root):
        with pytest.raises(StorageError, match="inside the data root"):
            export_public(data_root / "run_20260601", inside)
    live.close()
    other_root = tmp_path / "old_root"  # a data root from before lock files: run directories only
    (other_root / "run_20250101").mkdir(parents=True)
    with pytest.raises(StorageError, match=f"inside the data root {other_root}"):
        export_public(data_root, other_root / "export")
    source = tmp_path / "logs"
    source.mkdir()
    shutil.copy(data_root / "run_20260601" / "anomalies.0000.jsonl", source)
    with pytest.raises(StorageError, match="inside the source"):
        export_public(source, source / "public")
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(StorageError, match="symbolic link to nothing"):
        export_public(data_root, dangling)
    assert tree(data_root) == before and not (tmp_path / "nowhere").exists()
    assert not (source / "public").exists()


def test_export_passes_on_closed_sets_only(data_root: Path, tmp_path: Path) -> None:
    """Free text hidden in a whitelisted field (a password as a statistic, a relay's own name) stays home."""
    writer = DatasetWriter(data_root, StorageSettings())
    health = record("sensor_health", T0).model_copy(deep=True)
    health = health.model_copy(
        update={"evidence": health.evidence.model_copy(update={"statistic": "password=hunter2"})}  # type: ignore[union-attr]
    )
    action = record("actions", T0)
    action = action.model_copy(
        update={
            "target_device": "smiths_pump",
            "in_response_to": action.in_response_to.model_copy(update={"kind": "call 555-0100"}),  # type: ignore[attr-defined]
        }
    )
    status = device_status(T0, devices={"heater": "on", "smiths_pump": "off", "jones_valve": "on"})
    for stream, rec in (("sensor_health", health), ("actions", action), ("device_status", status)):
        writer.write(stream, rec)
    writer.close()
    public = tmp_path / "public"
    export_public(data_root, public)
    text = "".join(path.read_text() for path in public.rglob("*.jsonl"))
    for secret in ("hunter2", "555-0100", "smiths", "jones"):
        assert secret not in text
    exported = {p.name.split(".")[0]: json_lines(p)[0] for p in public.rglob("*.jsonl")}
    assert exported["sensor_health"]["evidence"]["statistic"] == "other"
    assert "kind" not in exported["actions"]["in_response_to"]
    assert exported["actions"]["target_device"] == "device_1"  # the same alias for the same name
    assert exported["device_status"]["devices"] == {"heater": "on", "device_1": "off", "device_2": "on"}


def test_export_reads_nothing_outside_the_source_tree(data_root: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    writer = DatasetWriter(elsewhere, StorageSettings())
    writer.write("observations", record("observations", T0 + timedelta(days=3)))
    writer.close()
    writer = DatasetWriter(data_root, StorageSettings())
    writer.write("observations", record("observations", T0))
    writer.close()
    (data_root / "run_20260604").symlink_to(elsewhere / "run_20260604")  # a run folder leading out
    os.mkfifo(data_root / "run_20260601" / "state.0000.jsonl")  # would block a reader forever
    public = tmp_path / "public"
    report = export_public(data_root, public)
    assert report.records == {"observations": 1}
    assert sorted(p.name for p in report.skipped) == ["observations.0000.jsonl", "state.0000.jsonl"]
    assert "outside the source" in report.summary()
    assert tree(public) == ["run_20260601/observations.0000.jsonl"]


def test_export_takes_str_paths(
    make_writer: Callable[..., DatasetWriter], data_root: Path, tmp_path: Path
) -> None:
    fill_all_streams(make_writer)
    report = export_public(str(data_root), str(tmp_path / "public"))
    assert report.records == dict.fromkeys(STREAMS, 2)
    assert (tmp_path / "public" / "run_20260601" / "observations.0000.jsonl").is_file()
