"""The model bases of every contract (the shared field types are public in :mod:`brain.contracts.types`).

Why one base: strictness must hold at every nesting level (pydantic applies a
model's config only to its own fields), so every model, nested ones included,
derives from :class:`Contract` or :class:`StrictModel`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

SCHEMA_VERSION = "1.0"
"""The only schema version Stage 1 writes or reads."""


class StrictModel(BaseModel):
    """Strict, closed, immutable: no coercion, no unknown keys, no NaN or infinity."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        allow_inf_nan=False,
        validate_default=True,
    )


class Contract(StrictModel):
    """A record that crosses a boundary and may be persisted: it carries its schema version."""

    schema_version: Literal["1.0"]
    """Version of the record's schema; Stage 1 knows only "1.0"."""
