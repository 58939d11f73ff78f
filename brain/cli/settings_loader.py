"""Loading the settings for a command, and reporting a configuration error on stderr, not raising it.

Shared by ``brain-daemon`` and ``brain config``: both load with
:func:`brain.config.load_settings` and check with
:func:`brain.daemon.builder.check_settings`, so a file that passes
``brain config check`` also starts the daemon.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brain.config import LoadedSettings
    from brain.errors import ConfigError

CONFIG_VARIABLE = "BRAIN_CONFIG"


def config_path(given: Path | None) -> Path | None:
    """The configuration file: the one given, else ``$BRAIN_CONFIG``, else none.

    An empty ``BRAIN_CONFIG`` is refused (a :class:`ConfigError` naming it), not read as "no file".
    """
    if given is not None:
        return given
    from_env = os.environ.get(CONFIG_VARIABLE)
    if from_env is None:
        return None
    if not from_env.strip():
        from brain.errors import ConfigError

        origin = f"environment {CONFIG_VARIABLE}"
        raise ConfigError(
            f"the configuration file's name is empty (unset it, or name the file); from {origin}",
            origin=origin,
        )
    return Path(from_env)


def config_error_origin(exc: ConfigError, loaded: LoadedSettings | None) -> str | None:
    """Where the bad value came from: as the error says, else its file, else its key's origin."""
    if exc.origin is not None:
        return exc.origin
    if exc.file is not None:
        return exc.file
    if loaded is not None and exc.key is not None:
        return loaded.origin_of(exc.key)
    return None


def print_config_error(prog: str, exc: ConfigError, loaded: LoadedSettings | None = None) -> None:
    """One line on stderr: the reason, the key and where the value came from (unless it was a default)."""
    origin = config_error_origin(exc, loaded)
    said = exc.origin is not None or exc.file is not None or origin in (None, "default")
    where = "" if said else f"; from {origin}"
    print(f"{prog}: configuration error: {exc}{where}", file=sys.stderr)


def load_or_report(
    config_file: Path | None, flags: dict[str, object], *, prog: str = "brain"
) -> LoadedSettings | None:
    """The settings, or ``None`` after printing the configuration error (tools that only read settings)."""
    from brain.config import load_settings
    from brain.errors import ConfigError

    try:
        return load_settings(config_file, flags)
    except ConfigError as exc:
        print_config_error(prog, exc)
        return None
