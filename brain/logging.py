"""Logging is configured here, once; everything else binds context and logs events.

Why two renderers: under systemd, stdout goes to journald, which wants one JSON
object per line and stamps its own time (a second timestamp would only add
noise); a developer at a terminal wants readable, coloured lines. The logging
time is ``logged_at``, so that ``timestamp`` can name the record a line is about. ``auto``
picks by whether stdout is a terminal.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Literal, TextIO

import structlog
from pydantic import BaseModel, ConfigDict

LogFormat = Literal["auto", "json", "console"]
LogLevel = Literal["debug", "info", "warning", "error"]
LOGGED_AT = "logged_at"
"""Key of the time a line was logged; ``timestamp`` in a log line is always a record's own time."""
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


class LoggingSettings(BaseModel):
    """The ``[logging]`` settings: how brain logs (journald stores stdout under systemd)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    format: LogFormat = "auto"
    """``auto``: console on a terminal, JSON lines otherwise."""
    level: LogLevel = "info"
    """Lowest level written."""


def under_journald() -> bool:
    """True when stdout is connected to the journal (systemd sets ``JOURNAL_STREAM``)."""
    return bool(os.environ.get("JOURNAL_STREAM"))


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
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
    ]
    if not under_journald():
        processors.append(structlog.processors.TimeStamper(fmt="iso", utc=True, key=LOGGED_AT))
    if chosen == "json":
        processors += [
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=False),
        ]
    else:
        processors.append(structlog.dev.ConsoleRenderer(colors=out.isatty()))
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    return chosen
