"""Reading a TOML file into a dict, every failure a :class:`~brain.errors.ConfigError` naming the file.

Why one reader: the daemon's configuration, the estimator's thresholds and the
CSV mappings are all TOML a person wrote; a missing file, an unreadable one and
a syntax error must read the same whichever it is, and say which file. The
caller validates the dict with its own model (``ConfigError.from_validation``
names the dotted key). Only :mod:`brain.errors` is imported, so any package may
use it.
"""

from __future__ import annotations

import tomllib
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from brain.errors import ConfigError


def read_toml(source: Path | Traversable, *, what: str, origin: str | None = None) -> dict[str, Any]:
    """Read and parse ``source`` (a path or a packaged resource).

    ``what`` names the kind of file in messages (``"mapping"``); ``origin`` is
    the ``file`` the error carries, ``str(source)`` by default. Example::

        read_toml(Path("absent.toml"), what="mapping")
        # ConfigError: mapping not found (file=absent.toml)
    """
    where = origin if origin is not None else str(source)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{what} not found", file=where) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror}", file=where) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} is not UTF-8 text: {exc.reason}", file=where) from exc
    return parse_toml(text, what=what, origin=where)


def parse_toml(text: str, *, what: str, origin: str) -> dict[str, Any]:
    """Parse ``text``, the content of the file ``origin``; a syntax error names the file and line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} is not valid TOML: {exc}", file=origin) from exc
    except RecursionError as exc:  # tomllib recurses per nested array or inline table
        raise ConfigError(f"{what} is nested too deeply to read", file=origin) from exc
