"""The data root's manifest and the fingerprint of a replay input: real files, read back as plain JSON."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from brain.storage import (
    MANIFEST_NAME,
    ManifestError,
    first_line,
    identity_differences,
    manifest_at_start,
    read_manifest,
    replace_file,
    stream_fingerprint,
    write_manifest,
)
from brain.storage.manifest import ABSENT, MANIFEST_VERSION

FIRST = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
LATER = datetime(2026, 6, 2, 9, 30, tzinfo=UTC)
IDENTITY = {"source": "synthetic", "site_id": "gh-1", "seed": 42, "scenarios": ["heatwave"]}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_first_start_writes_a_plain_json_manifest_any_reader_can_load(tmp_path: Path) -> None:
    root = tmp_path / "data"
    manifest = manifest_at_start(None, IDENTITY, {"duration_hours": 24}, at=FIRST, brain_version="9.9")
    path = write_manifest(root, manifest)
    assert path == root / MANIFEST_NAME
    on_disk = json.loads(path.read_text())  # no brain code needed to read it
    assert on_disk["manifest_version"] == MANIFEST_VERSION
    assert on_disk["identity"] == IDENTITY
    assert on_disk["first_start"] == {"at": FIRST.isoformat(), "brain_version": "9.9", "adopted": False}
    assert on_disk["last_start"] == {"at": FIRST.isoformat(), "brain_version": "9.9"}
    assert on_disk["starts"] == 1
    assert read_manifest(root) == on_disk
    assert sorted(p.name for p in root.iterdir()) == [MANIFEST_NAME], "no temporary file is left behind"


def test_a_restart_keeps_the_first_start_and_counts(tmp_path: Path) -> None:
    first = manifest_at_start(None, IDENTITY, {}, at=FIRST, brain_version="1.0")
    again = manifest_at_start(first, IDENTITY, {"duration_hours": 48}, at=LATER, brain_version="1.1")
    assert again["first_start"] == first["first_start"]
    assert again["last_start"] == {"at": LATER.isoformat(), "brain_version": "1.1"}
    assert again["starts"] == 2
    assert again["details"] == {"duration_hours": 48}
    assert again["identity_changes"] == []


def test_a_deliberately_changed_identity_keeps_the_old_one_in_the_history() -> None:
    first = manifest_at_start(None, IDENTITY, {}, at=FIRST, brain_version="1.0")
    other = {**IDENTITY, "scenarios": []}
    changed = manifest_at_start(first, other, {}, at=LATER, brain_version="1.0")
    assert changed["identity"] == other
    assert changed["identity_changes"] == [
        {"at": LATER.isoformat(), "changed": ["scenarios"], "previous": IDENTITY}
    ]


def test_identity_differences_name_each_key_and_both_values() -> None:
    recorded = {"source": "synthetic", "seed": 42, "scenarios": ["heatwave"], "start": "x"}
    current = {"source": "replay", "seed": 42, "scenarios": ("heatwave",), "input": "abc"}
    differences = identity_differences(recorded, current)
    assert [(d.key, d.recorded, d.current) for d in differences] == [
        ("source", "synthetic", "replay"),
        ("input", ABSENT, "abc"),
        ("start", "x", ABSENT),
    ]
    assert identity_differences(IDENTITY, dict(IDENTITY)) == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a brain manifest"),
        ('{"manifest_version": 1}', "not a brain manifest"),
        ('{"manifest_version": 99, "identity": {}}', "manifest_version 99"),
    ],
)
def test_a_manifest_that_cannot_be_understood_is_an_error_naming_the_file(
    tmp_path: Path, text: str, reason: str
) -> None:
    (tmp_path / MANIFEST_NAME).write_text(text)
    with pytest.raises(ManifestError, match=reason) as raised:
        read_manifest(tmp_path)
    assert str(tmp_path / MANIFEST_NAME) in str(raised.value)


def test_no_manifest_reads_as_none(tmp_path: Path) -> None:
    assert read_manifest(tmp_path) is None
    assert read_manifest(tmp_path / "absent") is None


def test_replace_file_swaps_the_whole_file_and_creates_missing_folders(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "meta.json"
    replace_file(target, b"one\n")
    replace_file(target, b"two\n")
    assert target.read_bytes() == b"two\n"
    assert [p.name for p in target.parent.iterdir()] == ["meta.json"]


def test_a_file_fingerprint_hashes_its_first_and_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    lines = [f'{{"n": {i}}}' for i in range(5000)]  # more than one 64 KiB block from the end
    log.write_text("\n".join(lines) + "\n\n")
    fingerprint = stream_fingerprint(log)
    assert fingerprint == {
        "path": str(log.resolve()),
        "files": 1,
        "size_bytes": log.stat().st_size,
        "first_line_sha256": _sha(lines[0]),
        "last_line_sha256": _sha(lines[-1]),
    }


def test_a_folder_fingerprint_reads_the_first_and_last_parts_gzipped_or_not(tmp_path: Path) -> None:
    root = tmp_path / "data"
    (root / "run_20260601").mkdir(parents=True)
    (root / "run_20260602").mkdir()
    first = root / "run_20260601" / "observations.0000.jsonl.gz"
    with gzip.open(first, "wt") as out:
        out.write('{"a": 1}\n{"a": 2}\n')
    (root / "run_20260601" / "state.0000.jsonl").write_text('{"other stream": 1}\n')
    last = root / "run_20260602" / "observations.0000.jsonl"
    last.write_text('{"b": 1}\n{"b": 2}')  # a torn last line is hashed as it is
    fingerprint = stream_fingerprint(root)
    assert fingerprint["files"] == 2
    assert fingerprint["size_bytes"] == first.stat().st_size + last.stat().st_size
    assert fingerprint["first_line_sha256"] == _sha('{"a": 1}')
    assert first_line(root) == b'{"a": 1}' and first_line(root, "state") == b'{"other stream": 1}'
    assert fingerprint["last_line_sha256"] == _sha('{"b": 2}')
    gz_only = stream_fingerprint(root / "run_20260601")
    assert gz_only["last_line_sha256"] == _sha('{"a": 2}')


def test_an_empty_input_has_no_line_hashes(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    assert stream_fingerprint(empty)["first_line_sha256"] is None
    assert stream_fingerprint(empty)["last_line_sha256"] is None
