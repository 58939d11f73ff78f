import io
import json

import structlog

from brain.logging import configure_logging, resolve_format


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_picks_console_on_a_terminal_and_json_otherwise() -> None:
    assert resolve_format("auto", _Tty()) == "console"
    assert resolve_format("auto", io.StringIO()) == "json"
    assert resolve_format("console", io.StringIO()) == "console"


def test_json_lines_with_level_and_key_values(monkeypatch) -> None:
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    out = io.StringIO()
    assert configure_logging("json", "info", stream=out) == "json"
    structlog.get_logger("t").info("line_skipped", file="a.jsonl", line=3, timestamp="2026-06-01T00:00:00Z")
    structlog.get_logger("t").debug("hidden")
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["event"] == "line_skipped" and record["line"] == 3 and record["level"] == "info"
    assert record["timestamp"] == "2026-06-01T00:00:00Z", "a record's own time is never overwritten"
    assert "logged_at" in record


def test_no_second_timestamp_under_journald(monkeypatch) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", "8:1234")
    out = io.StringIO()
    configure_logging("json", "debug", stream=out)
    structlog.get_logger("t").debug("poll")
    assert "logged_at" not in json.loads(out.getvalue())


def test_console_renderer_is_readable() -> None:
    out = io.StringIO()
    configure_logging("console", "info", stream=out)
    structlog.get_logger("t").warning("disk_full", backlog=3)
    assert "disk_full" in out.getvalue() and "backlog" in out.getvalue()
