"""Field types that settings sections of several packages share.

Why a type and not a check in each model: ``Path("")`` is the current folder, so an
empty ``data_root`` (``BRAIN_DATA_ROOT=``) would silently write records wherever the
program was started, and an empty ``replay.path`` would replay it. One type refuses
the empty text everywhere a setting names a file or folder.

:data:`Identifier` (a site or device name) is also the type records carry
(:mod:`brain.contracts.types` re-exports it): a name a setting accepts is never refused
when a record is written.

Numbers in settings are strict (``Field(strict=True)``): ``batch_records = true`` or
``poll_interval_s = "30"`` in a file is an error, not 1 or 30. Environment variables
are text by nature; :mod:`brain.config` turns each into the number its key needs
before validation, naming the variable when it cannot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field


def non_empty_path(value: object) -> object:
    """Refuse an empty or blank path; anything else goes on to pydantic's own ``Path`` check."""
    if isinstance(value, str) and not value.strip():
        raise ValueError("a path must not be empty (an empty path would mean the current folder)")
    return value


SettingPath = Annotated[Path, BeforeValidator(non_empty_path)]
"""A settings field naming a file or folder; never empty."""


Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
"""A site or device name: safe in file names and log keys."""
