"""The TOMATO-2b specifications: present, readable, and in step with the one thresholds file."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from brain.contracts import AnomalyKind, SensorFault, Severity

_ROW_KEY = re.compile(r"^\| `([a-z0-9_.]+)` \| ([^|]+) \|")


def _flatten(prefix: str, table: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for key, value in table.items():
        dotted = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            yield from _flatten(dotted, value)
        else:
            yield dotted, value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _thresholds(root: Path) -> dict[str, str]:
    data = tomllib.loads((root / "brain" / "estimator" / "thresholds.toml").read_text(encoding="utf-8"))
    return {key: _text(value) for key, value in _flatten("", data)}


def _documented(doc: str) -> dict[str, str]:
    """``| `dotted.key` | value |`` rows of a document."""
    rows = {}
    for line in doc.splitlines():
        match = _ROW_KEY.match(line)
        if match:
            rows[match.group(1)] = match.group(2).strip()
    return rows


def _read(root: Path, name: str) -> str:
    path = root / "docs" / name
    assert path.is_file(), f"docs/{name} is missing"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# ") and len(text) > 2000
    return text


def test_confidence_scoring_docs_exist_and_are_readable(project_root: Path) -> None:
    doc = _read(project_root, "confidence_scoring.md")
    for heading in ("## Algorithm", "## Worked examples"):
        assert heading in doc
    assert len(re.findall(r"^\| E\d+ \|", doc, flags=re.MULTILINE)) >= 3
    rows = _documented(doc)
    confidence_keys = {k: v for k, v in _thresholds(project_root).items() if k.startswith("confidence.")}
    assert confidence_keys
    for key, value in confidence_keys.items():
        assert rows.get(key) == value, f"{key} = {value} not documented as such"


def test_anomaly_threshold_docs_exist_and_are_readable(project_root: Path) -> None:
    doc = _read(project_root, "anomaly_thresholds.md")
    thresholds = _thresholds(project_root)
    rows = _documented(doc)
    for key, value in thresholds.items():
        if not key.startswith("confidence."):
            assert rows.get(key) == value, f"{key} = {value} not documented as such"
    stale = set(rows) - set(thresholds)
    assert not stale, f"documented keys that thresholds.toml does not have: {stale}"
    for kind in AnomalyKind:
        assert f"| {kind.value} |" in doc
    for severity in (Severity.WARNING, Severity.CRITICAL):
        assert severity.value in doc
    for fault in SensorFault:
        if fault is not SensorFault.NONE:
            assert f"**{fault.value}**" in doc, fault
    for source in ("Ni et al.", "Sharma, Golubchik & Govindan", "Holder & Cockshull", "OSHA"):
        assert source in doc
    assert doc.count("### Worked examples") == 2
    assert len(re.findall(r"^\d\. \*\*", doc, flags=re.MULTILINE)) >= 6
