"""Loading the settings for a command, with a configuration error reported on stderr, not raised.

Shared by ``brain-daemon`` and ``brain config``: both check the hardware plugin's
section too, so a file that passes ``brain config check`` also starts the daemon.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from brain.config import LoadedSettings


def config_path(given: Path | None) -> Path | None:
    """The configuration file: the one given, else ``$BRAIN_CONFIG``, else none."""
    if given is not None:
        return given
    from_env = os.environ.get("BRAIN_CONFIG")
    return Path(from_env) if from_env else None


def load_or_report(config_file: Path | None, flags: dict[str, Any]) -> LoadedSettings | None:
    """Load settings (and let the hardware plugin check its section); report a ConfigError on stderr."""
    from brain.config import SourceKind, load_settings
    from brain.errors import ConfigError

    try:
        loaded = load_settings(config_file, flags)
        if loaded.settings.source is SourceKind.HARDWARE or loaded.settings.hardware:
            from brain.sources.plugins import load_plugin

            load_plugin("hardware").check(loaded.settings.hardware, config_file=config_file)
    except ConfigError as exc:
        print(f"brain: configuration error: {exc}", file=sys.stderr)
        return None
    return loaded
