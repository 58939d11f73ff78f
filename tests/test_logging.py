import errno
import io
import json
import logging
import os
from pathlib import Path
from typing import TextIO

import structlog

from brain.logging import clear_before_log_lines, configure_logging, resolve_format, under_journald


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


def _journal_stream(path: Path) -> tuple[TextIO, str]:
    """A file standing in for journald's stream, and the ``JOURNAL_STREAM`` systemd would set for it."""
    stream = path.open("w")
    stat = os.fstat(stream.fileno())
    return stream, f"{stat.st_dev}:{stat.st_ino}"


def test_under_journald_no_second_timestamp_and_each_line_carries_its_priority(monkeypatch, tmp_path) -> None:
    """``<N>`` (SyslogLevelPrefix) sets the journal priority, so ``journalctl -p warning`` filters."""
    out, journal_stream = _journal_stream(tmp_path / "journal")
    monkeypatch.setenv("JOURNAL_STREAM", journal_stream)
    with out:
        configure_logging("json", "debug", stream=out)
        log = structlog.get_logger("t")
        log.debug("poll")
        log.info("daemon_started")
        log.warning("anomaly_started")
        log.log(logging.ERROR, "anomaly_started")
        try:
            raise OSError("disk")
        except OSError:
            log.exception("poll_failed")
    lines = (tmp_path / "journal").read_text().splitlines()
    assert [line[:3] for line in lines] == ["<7>", "<6>", "<4>", "<3>", "<3>"]
    records = [json.loads(line[3:]) for line in lines]
    assert all("logged_at" not in record for record in records)
    assert [r["level"] for r in records] == ["debug", "info", "warning", "error", "error"]


def test_an_inherited_journal_stream_for_another_stream_changes_nothing(monkeypatch, tmp_path) -> None:
    """A process whose stdout was redirected (``> file``) under a service inherits ``JOURNAL_STREAM``."""
    journal, journal_stream = _journal_stream(tmp_path / "journal")
    journal.close()
    monkeypatch.setenv("JOURNAL_STREAM", journal_stream)
    with (tmp_path / "redirected").open("w") as out:
        assert not under_journald(out)
        configure_logging("json", "info", stream=out)
        structlog.get_logger("t").warning("anomaly_started")
    line = (tmp_path / "redirected").read_text()
    assert line.startswith("{") and "logged_at" in json.loads(line)


def test_without_journald_lines_are_plain_json(monkeypatch) -> None:
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    out = io.StringIO()
    configure_logging("json", "info", stream=out)
    structlog.get_logger("t").warning("anomaly_started")
    assert out.getvalue().startswith("{")


def test_a_reader_that_goes_away_silences_the_log_and_never_raises(monkeypatch, capfd) -> None:
    """``brain-daemon | head -1``: the pipe closes; later lines go to /dev/null, one note on stderr."""
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "w") as pipe:
        configure_logging("json", "info", stream=pipe)
        log = structlog.get_logger("t")
        log.info("first")
        with os.fdopen(read_end, "rb") as reader:
            assert json.loads(reader.readline())["event"] == "first"  # head -1 read it, then exits
        for number in range(3):
            log.info("after_the_reader_left", number=number)  # must not raise
        pipe.write("a print to the same stream\n")
        pipe.flush()
        assert Path(f"/proc/self/fd/{pipe.fileno()}").samefile(os.devnull)
    assert capfd.readouterr().err.count("log_stream_closed") == 1


def test_other_write_errors_lose_that_line_only() -> None:
    class FullDisk(io.StringIO):
        def write(self, text: str) -> int:
            if "lost" in text:
                raise OSError(errno.ENOSPC, "No space left on device")
            return super().write(text)

    out = FullDisk()
    configure_logging("json", "info", stream=out)
    log = structlog.get_logger("t")
    log.info("lost")
    log.info("kept")
    assert [json.loads(line)["event"] for line in out.getvalue().splitlines()] == ["kept"]


def test_a_registered_clear_runs_before_each_line_written_and_only_while_registered() -> None:
    out = io.StringIO()
    configure_logging("console", "info", stream=out)
    log = structlog.get_logger("t")

    def clear() -> None:
        out.write("<cleared>")

    with clear_before_log_lines(clear):
        log.info("one")
        log.debug("filtered_out")  # below the level: nothing written, nothing cleared
        log.warning("two")
    log.info("three")
    text = out.getvalue()
    assert text.count("<cleared>") == 2
    assert text.index("<cleared>") < text.index("one") < text.rindex("<cleared>") < text.index("two")
    assert "<cleared>" not in text[text.index("two") :]


def test_console_renderer_is_readable() -> None:
    out = io.StringIO()
    configure_logging("console", "info", stream=out)
    structlog.get_logger("t").warning("disk_full", backlog=3)
    assert "disk_full" in out.getvalue() and "backlog" in out.getvalue()
