"""Shared configuration and field types for every contract.

Why one base: strictness must hold at every nesting level (pydantic applies a
model's config only to its own fields), so every model, nested ones included,
derives from :class:`Contract` or :class:`StrictModel`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, Strict

SCHEMA_VERSION = "1.0"
"""The only schema version Stage 1 writes or reads."""

_ISO_8601_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _require_iso_8601(value: Any) -> Any:
    """Let through datetimes and ISO 8601 strings only.

    Pydantic's lax datetime parsing would also take unix seconds (as a number
    or a numeric string); a log line with such a value is more likely a bug
    than a timestamp, so it is rejected with a message that says what is wanted.
    """
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_8601_PREFIX.match(value):
        return value
    raise ValueError("timestamp must be an ISO 8601 string with a UTC offset, e.g. 2026-06-01T12:00:00+00:00")


Timestamp = Annotated[AwareDatetime, Strict(False), BeforeValidator(_require_iso_8601)]
"""An aware datetime; from JSON or a dict, an ISO 8601 string with offset. Naive is rejected."""

Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
"""A site or device name: safe in file names and log keys."""


LAX_ENUM = Strict(False)
"""Annotate enum fields with this so Python dicts may carry the string values.

In strict mode pydantic accepts only enum *instances* from Python input, which
would make ``model_validate(json.loads(line))`` fail on every enum. Lax enum
validation still accepts only the exact values: nothing is coerced.
"""


class StrictModel(BaseModel):
    """Strict, closed, immutable: no coercion, no unknown keys, no NaN or infinity."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        allow_inf_nan=False,
        validate_default=True,
        use_attribute_docstrings=True,
    )


class Contract(StrictModel):
    """A record that crosses a boundary and may be persisted: it carries its schema version."""

    schema_version: Literal["1.0"]
    """Version of the record's schema; Stage 1 knows only "1.0"."""
