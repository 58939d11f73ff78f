"""JSONL file helpers shared by the storage and replay tests (the records come from ``tests.factories``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from brain.storage.dataset import LOCK_FILE_NAME


def write_lines(path: Path, lines: list[bytes]) -> Path:
    """Write ``lines`` (without newlines) as a JSONL file, making its folders; return ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def lines_of(path: Path) -> list[bytes]:
    """The lines of a file, each with its newline; asserts the file ends with one."""
    data = path.read_bytes()
    assert data == b"" or data.endswith(b"\n"), f"{path} does not end with a newline"
    return data.splitlines(keepends=True)


def json_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines_of(path)]


def tree(root: Path) -> list[str]:
    """Every file under ``root`` as a sorted relative path, but the lock file (not a record)."""
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and path.name != LOCK_FILE_NAME
    )
