"""Field types that settings sections of several packages share.

Why a type and not a check in each model: ``Path("")`` is the current folder, so an
empty ``data_root`` (``BRAIN_DATA_ROOT=``) would silently write records wherever the
program was started, and an empty ``replay.path`` would replay it. One type refuses
the empty text everywhere a setting names a file or folder.

Numbers in settings are strict (``Field(strict=True)``): ``batch_records = true`` or
``poll_interval_s = "30"`` in a file is an error, not 1 or 30. Environment variables
are text by nature; :mod:`brain.config` turns each into the number its key needs
before validation, naming the variable when it cannot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator


def non_empty_path(value: object) -> object:
    """Refuse an empty or blank path; anything else goes on to pydantic's own ``Path`` check."""
    if isinstance(value, str) and not value.strip():
        raise ValueError("a path must not be empty (an empty path would mean the current folder)")
    return value


SettingPath = Annotated[Path, BeforeValidator(non_empty_path)]
"""A settings field naming a file or folder; never empty."""
