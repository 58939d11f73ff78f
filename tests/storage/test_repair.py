from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from brain.contracts import ObservationV1
from brain.storage import DatasetWriter
from brain.storage.repair import repair_torn_tail
from tests.factories import T0, observation, observation_line
from tests.storage.jsonl_files import lines_of


def good(minute: int) -> bytes:
    return observation_line(minute) + b"\n"


GOOD = good(0) + good(1)


@pytest.mark.parametrize(
    "torn",
    [
        pytest.param(good(2)[:57], id="no final newline"),
        pytest.param(b'{"schema_version":"1.0","timest\x00\x00\x00}\n', id="invalid JSON last line"),
        pytest.param(b"\x00" * 4096, id="zeros where the data never reached the card"),
        pytest.param(b"\n", id="an empty last line"),
    ],
)
def test_torn_tail_is_cut_back_and_kept_in_a_side_file(tmp_path: Path, torn: bytes) -> None:
    part = tmp_path / "observations.0000.jsonl"
    part.write_bytes(GOOD + torn)
    with capture_logs() as logs:
        result = repair_torn_tail(part)
    assert result is not None and result.offset == len(GOOD) and result.size == len(torn)
    assert part.read_bytes() == GOOD  # everything before the torn line is byte-identical
    side_file = tmp_path / "observations.0000.jsonl.torn"
    assert result.side_file == side_file
    assert side_file.read_bytes() == (torn if torn.endswith(b"\n") else torn + b"\n")
    (logged,) = [entry for entry in logs if entry["event"] == "storage_torn_tail_repaired"]
    assert logged["bytes"] == len(torn) and logged["offset"] == len(GOOD) and logged["file"] == str(part)


def test_a_second_repair_appends_its_fragment_to_the_side_file(tmp_path: Path) -> None:
    part = tmp_path / "state.0000.jsonl"
    part.write_bytes(GOOD + b'{"torn": 1')
    repair_torn_tail(part)
    with part.open("ab") as handle:
        handle.write(good(3) + b'{"torn": 2')
    repair_torn_tail(part)
    assert part.read_bytes() == GOOD + good(3)
    assert (tmp_path / "state.0000.jsonl.torn").read_bytes() == b'{"torn": 1\n{"torn": 2\n'


def test_a_complete_record_missing_only_its_newline_is_kept(tmp_path: Path) -> None:
    part = tmp_path / "observations.0000.jsonl"
    part.write_bytes(GOOD + good(2).rstrip(b"\n"))
    result = repair_torn_tail(part)
    assert result is not None and result.size == 0 and result.side_file is None
    assert part.read_bytes() == GOOD + good(2)


@pytest.mark.parametrize("content", [b"", GOOD], ids=["empty", "clean"])
def test_a_clean_file_is_left_alone(tmp_path: Path, content: bytes) -> None:
    part = tmp_path / "observations.0000.jsonl"
    part.write_bytes(content)
    assert repair_torn_tail(part) is None
    assert part.read_bytes() == content
    assert not (tmp_path / "observations.0000.jsonl.torn").exists()


def test_a_torn_line_longer_than_the_read_block_is_found(tmp_path: Path) -> None:
    part = tmp_path / "observations.0000.jsonl"
    torn = b'{"x": "' + b"a" * 200_000
    part.write_bytes(GOOD + torn)
    result = repair_torn_tail(part)
    assert result is not None and result.size == len(torn)
    assert part.read_bytes() == GOOD


def test_a_file_holding_only_a_torn_line_becomes_empty(tmp_path: Path) -> None:
    part = tmp_path / "observations.0000.jsonl"
    part.write_bytes(b'{"schema_ver')
    repair_torn_tail(part)
    assert part.read_bytes() == b""


def test_the_writer_repairs_a_torn_part_before_appending(
    make_writer: Callable[..., DatasetWriter], data_root: Path
) -> None:
    run_dir = data_root / "run_20260601"
    run_dir.mkdir(parents=True)
    part = run_dir / "observations.0000.jsonl"
    part.write_bytes(GOOD + good(2)[:100])  # the power went out during the third write
    writer = make_writer()
    writer.write("observations", observation(T0 + timedelta(minutes=3)))
    writer.close()
    stamps = [ObservationV1.model_validate_json(line).timestamp for line in lines_of(part)]
    assert stamps == [T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=3)]
    assert (run_dir / "observations.0000.jsonl.torn").read_bytes() == good(2)[:100] + b"\n"
