"""Logging is configured here, once; everything else binds context and logs events.

Why two renderers: under systemd, stdout goes to journald, which wants one JSON
object per line and stamps its own time (a second timestamp would only add
noise); a developer at a terminal wants readable, coloured lines. The logging
time is ``logged_at``, so that ``timestamp`` can name the record a line is about. ``auto``
picks by whether stdout is a terminal.

Two promises about the stream the lines go to:

- a line is never glued to a progress line: whoever draws one on the terminal
  registers a ``clear`` with :func:`clear_before_log_lines`, called before each line;
- a reader that goes away never stops the daemon: ``brain-daemon ... | head`` closes
  the pipe (``EPIPE``), an ssh session that drops hangs up the terminal (``EIO``).
  Log lines are not records: from then on they go to ``/dev/null``, one
  ``log_stream_closed`` line on stderr says so, and polling and storing go on.
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, Literal, TextIO

import structlog
from pydantic import BaseModel, ConfigDict

LogFormat = Literal["auto", "json", "console"]
LogLevel = Literal["debug", "info", "warning", "error"]
LOGGED_AT = "logged_at"
"""Key of the time a line was logged; ``timestamp`` in a log line is always a record's own time."""
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


class LoggingSettings(BaseModel):
    """The ``[logging]`` settings: how brain logs (journald stores stdout under systemd)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: LogFormat = "auto"
    """``auto``: console on a terminal, JSON lines otherwise."""
    level: LogLevel = "info"
    """Lowest level written."""


_before_line: list[Callable[[], None]] = []
"""What must happen before a log line is written (a progress line clearing itself)."""

READER_GONE = frozenset({errno.EPIPE, errno.EIO})
"""Write errors that mean nobody will ever read the stream again (closed pipe, hung-up terminal)."""


@contextlib.contextmanager
def clear_before_log_lines(clear: Callable[[], None]) -> Iterator[None]:
    """Call ``clear()`` before every log line written while the ``with`` block runs.

    Example: ``with clear_before_log_lines(progress.clear): scheduler.run()``.
    """
    _before_line.append(clear)
    try:
        yield
    finally:
        _before_line.remove(clear)


def _clear_terminal_lines(_logger: Any, _method: str, event_dict: Any) -> Any:
    """A processor: run the registered ``clear`` callbacks; levels were filtered before it."""
    for clear in _before_line:
        clear()
    return event_dict


class LogStream:
    """The stream log lines are printed to, which survives its reader going away.

    structlog's ``PrintLogger`` only calls ``write`` and ``flush``. When the reader is
    gone for good (:data:`READER_GONE`), the underlying file descriptor is pointed at
    ``/dev/null``, so later lines, other prints to it and the interpreter's last
    flush at exit are silent; any other write error (a full disk under a redirect)
    loses that line only.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.reader_gone = False
        self.lines_lost = 0
        self._rest_of_line_lost = False

    def write(self, text: str) -> None:
        """Write ``text``, unless the reader is gone; a line whose start was lost is lost whole."""
        if self.reader_gone:
            return
        if self._rest_of_line_lost:  # print() writes the newline apart from the line
            if "\n" not in text:
                return
            text = text[text.index("\n") + 1 :]
            self._rest_of_line_lost = False
            if not text:
                return
        try:
            self.stream.write(text)
        except OSError as exc:
            self._rest_of_line_lost = not text.endswith("\n")
            self._failed(exc)

    def flush(self) -> None:
        """Flush, unless the reader is gone."""
        if self.reader_gone:
            return
        try:
            self.stream.flush()
        except OSError as exc:
            self._failed(exc)

    def _failed(self, exc: OSError) -> None:
        self.lines_lost += 1
        if exc.errno not in READER_GONE:
            return
        self.reader_gone = True
        with contextlib.suppress(OSError, ValueError):  # a stream without a descriptor keeps its state
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
            self.stream.flush()  # what the failed write left buffered goes to /dev/null
        with contextlib.suppress(OSError, ValueError):  # stderr may be gone too
            print(f"brain: log_stream_closed error={exc.strerror!r}; logs are discarded", file=sys.stderr)


_log_streams: dict[int, LogStream] = {}


def _log_stream(stream: TextIO) -> LogStream:
    """One :class:`LogStream` per stream, however often logging is configured (tests do, often)."""
    wrapped = _log_streams.get(id(stream))
    if wrapped is None or wrapped.stream is not stream:
        wrapped = _log_streams[id(stream)] = LogStream(stream)
    return wrapped


JOURNAL_PRIORITY = {"debug": 7, "info": 6, "warning": 4, "warn": 4, "error": 3, "exception": 3, "critical": 2}
"""syslog priority per structlog method: 7 debug, 6 info, 4 warning, 3 error, 2 critical (``sd-daemon.h``)."""


def _journal_priority_prefix(_logger: Any, method: str, rendered: Any) -> Any:
    """After the JSON renderer: ``<4>{...}``, the sd-daemon prefix that sets the line's journal priority.

    Why: journald stores every stdout line at the unit's default priority (info)
    unless the line starts with ``<N>`` (``SyslogLevelPrefix=yes``, systemd's
    default), which it strips from the stored message. With the prefix,
    ``journalctl -u brain -p warning`` shows exactly the warnings and errors, and
    ``journalctl -o cat`` still gives clean JSON.
    """
    return f"<{JOURNAL_PRIORITY.get(method, 6)}>{rendered}"


def under_journald(stream: TextIO | None = None) -> bool:
    """True when ``stream`` (stdout by default) is the journal's stream.

    systemd sets ``JOURNAL_STREAM=<device>:<inode>`` of the stream it connected, and
    a child inherits the variable even when its output goes elsewhere (``> file``
    in a shell started by a service), so the variable alone is not enough: the
    stream's own device and inode must match, as ``systemd.exec(5)`` advises.
    """
    device, _, inode = os.environ.get("JOURNAL_STREAM", "").partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        stat = os.fstat((stream if stream is not None else sys.stdout).fileno())
    except (OSError, ValueError, io.UnsupportedOperation):  # closed, or no descriptor (StringIO)
        return False
    return (stat.st_dev, stat.st_ino) == (int(device), int(inode))


def resolve_format(fmt: LogFormat, stream: TextIO) -> Literal["json", "console"]:
    """Turn ``auto`` into a concrete format for ``stream``."""
    if fmt != "auto":
        return fmt
    return "console" if stream.isatty() else "json"


def configure_logging(
    fmt: LogFormat = "auto", level: str = "info", stream: TextIO | None = None
) -> Literal["json", "console"]:
    """Configure structlog for the whole process and return the format chosen."""
    out = stream if stream is not None else sys.stdout
    chosen = resolve_format(fmt, out)
    processors: list[structlog.typing.Processor] = [
        _clear_terminal_lines,
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
    ]
    journald = under_journald(out)
    if not journald:
        processors.append(structlog.processors.TimeStamper(fmt="iso", utc=True, key=LOGGED_AT))
    if chosen == "json":
        processors += [
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=False),
        ]
        if journald:
            processors.append(_journal_priority_prefix)
    else:
        processors.append(structlog.dev.ConsoleRenderer(colors=out.isatty()))
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        # LogStream has the two methods PrintLogger uses (write, flush), not all of TextIO.
        logger_factory=structlog.PrintLoggerFactory(file=_log_stream(out)),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    return chosen
