"""CSV import of foreign field logs: tiny files written here (run everywhere) and the real logs.

The real-log tests read ``../shared/data/field/`` through the ``field_data``
fixture and skip where it is absent; their expected figures come from that
folder's README (row counts, the DST fall-back, value ranges), not from this code.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brain.cli import tools_main
from brain.contracts import ObservationV1
from brain.errors import ConfigError, SourceError
from brain.sources.csv.importer import NOT_IN_SOURCE_LOG, LocalClock, import_csv
from brain.sources.csv.mapping import CsvMapping, load_mapping, shipped_mappings

EASTERN = ZoneInfo("America/New_York")
TINY_MAPPING = """
site_id = "tiny-logger"
timezone = "UTC"
timestamp_column = "time"
timestamp_format = "%Y-%m-%d %H:%M"
missing_values = ["", "NaN", "-999"]

[sensors]
air_temperature_c = { column = "temp_f", unit = "degF" }
relative_humidity_pct = { column = "rh", unit = "fraction" }
co2_ppm = { column = "co2" }
"""


def _mapping(tmp_path: Path, text: str = TINY_MAPPING) -> CsvMapping:
    path = tmp_path / "tiny.toml"
    path.write_text(text, encoding="utf-8")
    return load_mapping(str(path))


def _read_back(path: Path) -> list[ObservationV1]:
    return [ObservationV1.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _import(
    tmp_path: Path, csv_text: str, mapping: CsvMapping | None = None
) -> tuple[list[ObservationV1], object]:
    source = tmp_path / "log.csv"
    source.write_text(csv_text, encoding="utf-8")
    output = tmp_path / "out" / "observations.jsonl"
    summary = import_csv(source, mapping or _mapping(tmp_path), output)
    return _read_back(output), summary


# --- small files, everywhere -------------------------------------------------------------------


def test_tiny_csv_is_converted_with_units_nulls_and_reasons(tmp_path: Path) -> None:
    observations, summary = _import(
        tmp_path,
        "time,temp_f,rh,co2,extra\n"
        "2024-05-01 10:00,68.0,0.5,412,x\n"
        "2024-05-01 10:05,NaN,0.55,,x\n"
        "2024-05-01 10:10,212,-999,#DIV/0!,x\n",
    )
    assert [o.timestamp for o in observations] == [
        datetime(2024, 5, 1, 10, m, tzinfo=UTC) for m in (0, 5, 10)
    ]
    first, second, third = (o.sensors for o in observations)
    assert (first.air_temperature_c, first.relative_humidity_pct, first.co2_ppm) == (20.0, 50.0, 412.0)
    assert third.air_temperature_c == 100.0
    assert (second.air_temperature_c, second.co2_ppm, third.relative_humidity_pct, third.co2_ppm) == (
        None,
        None,
        None,
        None,
    )
    assert observations[1].errors["air_temperature_c"] == "no value in source log (NaN)"
    assert observations[1].errors["co2_ppm"] == "no value in source log (empty cell)"
    assert observations[2].errors["co2_ppm"] == "unreadable value '#DIV/0!' in column 'co2'"
    for observation in observations:
        assert observation.source == "replay"
        assert observation.site_id == "tiny-logger"
        assert observation.sensors.par_umol_m2_s is None
        assert observation.errors["par_umol_m2_s"] == NOT_IN_SOURCE_LOG
        assert observation.errors["substrate_moisture_pct"] == NOT_IN_SOURCE_LOG
    assert (summary.rows_read, summary.written, summary.skipped, summary.unreadable_values) == (3, 3, 0, 1)


def test_bad_rows_are_skipped_with_their_line_numbers(tmp_path: Path) -> None:
    observations, summary = _import(
        tmp_path,
        "time,temp_f,rh,co2\n"
        "2024-05-01 10:00,68.0,0.5,412\n"  # line 2: good
        "yesterday,68.0,0.5,412\n"  # line 3: bad timestamp
        "2024-05-01 10:05,68.0\n"  # line 4: too few fields
        "\n"  # line 5: blank, not a row
        "2024-05-01 10:00,68.0,0.5,412\n"  # line 6: duplicate time
        "2024-05-01 09:00,68.0,0.5,412\n"  # line 7: out of order
        "2024-05-01 10:10,70.0,0.5,415\n",  # line 8: good
    )
    assert len(observations) == 2
    assert (summary.rows_read, summary.written, summary.skipped) == (6, 2, 4)
    lines = [line for line, _ in summary.skipped_examples]
    assert lines == [3, 4, 6, 7]
    reasons = dict(summary.skipped_examples)
    assert "does not match the format" in reasons[3]
    assert "expected at least 4 fields, found 2" in reasons[4]
    assert "duplicate or out of order" in reasons[6]
    text = summary.render()
    assert "read 6 rows, wrote 2 observations" in text
    assert "skipped 4 rows" in text
    assert "skipped line 3:" in text


def test_dst_fall_back_hour_is_resolved_by_the_time_going_backwards() -> None:
    clock = LocalClock(EASTERN)
    wall = ["00:55", "01:00", "01:30", "01:55", "01:00", "01:30", "01:55", "02:00"]
    instants = [clock.to_utc(datetime.fromisoformat(f"2024-11-03 {hhmm}")) for hhmm in wall]
    assert [t.strftime("%H:%M") for t in instants] == [
        "04:55",  # EDT, UTC-4
        "05:00",
        "05:30",
        "05:55",
        "06:00",  # the second 01:00 is EST, UTC-5
        "06:30",
        "06:55",
        "07:00",
    ]


def test_a_local_time_the_spring_jump_skipped_is_a_bad_row(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, TINY_MAPPING.replace('timezone = "UTC"', 'timezone = "America/New_York"'))
    observations, summary = _import(
        tmp_path,
        "time,temp_f,rh,co2\n"
        "2024-03-10 01:55,68,0.5,400\n"
        "2024-03-10 02:30,68,0.5,400\n"
        "2024-03-10 03:00,68,0.5,400\n",
        mapping,
    )
    assert [o.timestamp.isoformat() for o in observations] == [
        "2024-03-10T06:55:00+00:00",
        "2024-03-10T07:00:00+00:00",
    ]
    assert summary.skipped_examples[0][0] == 3
    assert "does not exist" in summary.skipped_examples[0][1]


def test_excel_serial_days_semicolons_and_padding(tmp_path: Path) -> None:
    mapping = _mapping(
        tmp_path,
        """
site_id = "excel"
timestamp_column = "%time"
timestamp_format = "excel_serial"
delimiter = ";"
[sensors]
substrate_moisture_pct = { column = "WC" }
""",
    )
    observations, summary = _import(
        tmp_path, "\ufeff%time ; WC \n43862.00000;  79.5\n43862.00347;  NaN\nabc;1\n", mapping
    )
    assert [o.timestamp for o in observations] == [
        datetime(2020, 2, 1, 0, 0, tzinfo=UTC),
        datetime(2020, 2, 1, 0, 5, tzinfo=UTC),
    ]
    assert [o.sensors.substrate_moisture_pct for o in observations] == [79.5, None]
    assert summary.skipped == 1


def test_timestamps_with_their_own_offset_ignore_the_mapping_zone(tmp_path: Path) -> None:
    mapping = _mapping(
        tmp_path,
        TINY_MAPPING.replace('"%Y-%m-%d %H:%M"', '"%Y-%m-%dT%H:%M%z"').replace('"UTC"', '"Asia/Tokyo"'),
    )
    observations, _ = _import(tmp_path, "time,temp_f,rh,co2\n2024-05-01T12:00+0200,68,0.5,400\n", mapping)
    assert observations[0].timestamp == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def test_import_takes_str_paths(tmp_path: Path) -> None:
    source = tmp_path / "log.csv"
    source.write_text("time,temp_f,rh,co2\n2024-05-01 10:00,68.0,0.5,412\n", encoding="utf-8")
    output = tmp_path / "obs.jsonl"
    summary = import_csv(str(source), _mapping(tmp_path), str(output))
    assert summary.written == 1 and len(_read_back(output)) == 1


def test_a_file_of_only_bad_rows_writes_an_empty_output(tmp_path: Path) -> None:
    observations, summary = _import(tmp_path, "time,temp_f,rh,co2\nnever,1,1,1\n")
    assert observations == []
    assert "read 1 rows, wrote 0 observations, skipped 1 rows" in summary.render()  # type: ignore[attr-defined]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.lists(st.text(max_size=40), max_size=8))
def test_import_never_crashes_on_any_line(tmp_path: Path, junk: list[str]) -> None:
    good = "2024-05-01 10:00,68.0,0.5,412"
    observations, summary = _import(tmp_path, "time,temp_f,rh,co2\n" + "\n".join([good, *junk]) + "\n")
    assert summary.rows_read == summary.written + summary.skipped  # type: ignore[attr-defined]
    assert observations[0].sensors.co2_ppm == 412.0
    stamps = [o.timestamp for o in observations]
    assert stamps == sorted(set(stamps))


def test_unreadable_input_files_are_source_errors(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path)
    with pytest.raises(SourceError, match="cannot read"):
        import_csv(tmp_path / "absent.csv", mapping, tmp_path / "out.jsonl")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(SourceError, match="empty"):
        import_csv(empty, mapping, tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()
    assert not (tmp_path / "out.jsonl.partial").exists()


@pytest.mark.parametrize(
    ("mapping_text", "key", "hint"),
    [
        (TINY_MAPPING.replace('unit = "degF"', 'unit = "furlongs"'), "sensors", "unknown unit 'furlongs'"),
        (
            TINY_MAPPING.replace('unit = "fraction"', 'unit = "degF"'),
            "sensors",
            "not a unit of relative_humidity_pct",
        ),
        (TINY_MAPPING.replace("co2_ppm =", "co2 ="), "sensors.co2", "Input should be"),
        (TINY_MAPPING.replace('timezone = "UTC"', 'timezone = "Mars/Olympus"'), "timezone", "unknown IANA"),
        (TINY_MAPPING.replace('site_id = "tiny-logger"', ""), "site_id", "Field required"),
        ("surprise = 1\n" + TINY_MAPPING, "surprise", "Extra inputs"),
        ("site_id = [", None, "not valid TOML"),
    ],
)
def test_bad_mappings_are_config_errors_naming_key_and_file(
    tmp_path: Path, mapping_text: str, key: str | None, hint: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        _mapping(tmp_path, mapping_text)
    assert raised.value.key == key
    assert raised.value.file == str(tmp_path / "tiny.toml")
    assert hint in str(raised.value)


def test_a_mapped_column_missing_from_the_header_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        _import(tmp_path, "time,temp_f,humidity,co2\n2024-05-01 10:00,68,0.5,400\n")
    assert raised.value.key == "sensors.relative_humidity_pct.column"
    assert "'rh' is not in the header" in str(raised.value)


def test_shipped_mappings_load_by_name() -> None:
    assert {"osu2024", "cornell2020", "agc2019_grodansens"} <= set(shipped_mappings())
    for name in shipped_mappings():
        mapping = load_mapping(name)
        assert mapping.sensors or mapping.outside  # agc2019_weather: outside conditions only
    with pytest.raises(ConfigError, match="no shipped mapping 'osu2025'; shipped: agc2019_grodansens"):
        load_mapping("osu2025")
    with pytest.raises(ConfigError, match="mapping not found"):
        load_mapping("no/such/mapping.toml")


def test_brain_import_csv_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "log.csv"
    source.write_text("time,temp_f,rh,co2\n2024-05-01 10:00,68.0,0.5,412\nbad,1,1,1\n", encoding="utf-8")
    mapping = tmp_path / "tiny.toml"
    mapping.write_text(TINY_MAPPING, encoding="utf-8")
    output = tmp_path / "obs.jsonl"
    status = tools_main(
        [
            "import-csv",
            str(source),
            "--mapping",
            str(mapping),
            "--output",
            str(output),
            "--site-id",
            "renamed",
        ]
    )
    captured = capsys.readouterr()
    assert status == 0
    assert "read 2 rows, wrote 1 observations" in captured.out
    assert "skipped line 3" in captured.out
    assert _read_back(output)[0].site_id == "renamed"
    again = ["import-csv", str(source), "--output", str(output), "--force", "--mapping"]
    assert tools_main([*again, "nonesuch"]) == 78
    assert tools_main([*again, str(mapping), "--site-id", "a b"]) == 78
    gone = ["import-csv", str(tmp_path / "gone.csv"), "--mapping", str(mapping), "--output", str(output)]
    assert tools_main([*gone, "--force"]) == 66  # EX_NOINPUT, as every tool given a missing input


# --- the real field logs -------------------------------------------------------------------------


@pytest.mark.field_data
def test_osu2024_imports_every_row_through_the_dst_fall_back(field_data: Path, tmp_path: Path) -> None:
    output = tmp_path / "osu.jsonl"
    summary = import_csv(
        field_data / "osu2024_tomato_reference_environment.csv", load_mapping("osu2024"), output
    )
    assert (summary.rows_read, summary.written, summary.skipped) == (41_713, 41_713, 0)  # README: 41,713 rows
    observations = _read_back(output)
    stamps = [o.timestamp for o in observations]
    assert all(a < b for a, b in itertools.pairwise(stamps)), "strictly increasing in UTC"
    local = Counter(t.astimezone(EASTERN).replace(tzinfo=None) for t in stamps)
    repeated = sorted(t for t, n in local.items() if n == 2)
    assert [t.strftime("%Y-%m-%d %H:%M") for t in repeated] == [
        f"2024-11-03 01:{m:02d}" for m in range(0, 60, 5)
    ]
    assert datetime(2024, 11, 3, 5, 55, tzinfo=UTC) in stamps  # 01:55 EDT
    assert datetime(2024, 11, 3, 6, 0, tzinfo=UTC) in stamps  # 01:00 EST, the second pass
    assert stamps[0] == datetime(2024, 6, 24, 4, 0, tzinfo=UTC)  # 00:00 EDT
    temperatures = [o.sensors.air_temperature_c for o in observations]
    assert (min(temperatures), max(temperatures)) == (16.2, 39.0)  # type: ignore[type-var]
    assert all(o.errors["par_umol_m2_s"] == NOT_IN_SOURCE_LOG for o in observations)


@pytest.mark.field_data
def test_cornell2020_converts_fahrenheit_and_keeps_the_co2_fill_values(
    field_data: Path, tmp_path: Path
) -> None:
    output = tmp_path / "cornell.jsonl"
    status = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from brain.cli import tools_main; sys.exit(tools_main())",
            "import-csv",
            str(field_data / "cornell2020_tomato_co2lassi_environment_2020-12-10_2021-01-09.csv"),
            "--mapping",
            "cornell2020",
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert status.returncode == 0, status.stderr
    assert "read 8928 rows, wrote 8928 observations" in status.stdout
    observations = _read_back(output)
    assert len(observations) == 8928
    temperatures = [o.sensors.air_temperature_c for o in observations]
    # README: 67.2-77.3 degF, i.e. 19.56-25.17 degC.
    assert min(temperatures) == pytest.approx(19.556, abs=0.001)  # type: ignore[type-var]
    assert max(temperatures) == pytest.approx(25.167, abs=0.001)  # type: ignore[type-var]
    assert sum(o.sensors.co2_ppm == 400.0 for o in observations) == 3626  # README: 3,626 fill values
    assert max(o.sensors.par_umol_m2_s for o in observations) > 300.0  # type: ignore[type-var]
    assert observations[0].timestamp == datetime(2020, 12, 10, 5, 0, tzinfo=UTC)  # 0:00 EST
    stamps = [o.timestamp for o in observations]
    assert all(a < b for a, b in itertools.pairwise(stamps))


@pytest.mark.field_data
def test_agc2019_slab_sensor_keeps_its_nan_gaps_as_nulls(field_data: Path, tmp_path: Path) -> None:
    output = tmp_path / "agc.jsonl"
    csv_path = field_data / "agc2019_tomato_reference_grodansens_2020-02-01_2020-03-14.csv"
    summary = import_csv(csv_path, load_mapping("agc2019_grodansens"), output)
    assert (summary.rows_read, summary.written, summary.skipped) == (12_384, 12_384, 0)
    lines = output.read_text(encoding="utf-8").splitlines()
    gaps = [
        json.loads(line) for line in lines if json.loads(line)["sensors"]["substrate_moisture_pct"] is None
    ]
    assert len(gaps) == 236 + 10 + 47  # README: three all-NaN runs
    assert all(g["errors"]["substrate_moisture_pct"] == "no value in source log (NaN)" for g in gaps)
    first = ObservationV1.model_validate_json(lines[1])
    assert first.timestamp == datetime(2020, 1, 31, 23, 5, tzinfo=UTC)  # 43862.00347 = 00:05 at UTC+1
