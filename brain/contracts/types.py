"""The field types every contract shares, public for the packages that hold the same values.

A site or device name in a settings file, a CSV mapping or a hardware section is
the same :data:`Identifier` a record carries (defined in :mod:`brain.settings_types`,
which the settings of a light process can import without the models), so a name
accepted there is never refused when the record is written; :func:`check_site_id` is the same check for
a site id given outside a model (a command-line option, a constructor argument).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, Strict, TypeAdapter, ValidationError

from brain.errors import ConfigError
from brain.settings_types import Identifier

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


LAX_ENUM = Strict(False)
"""Annotate enum fields with this so Python dicts may carry the string values.

In strict mode pydantic accepts only enum *instances* from Python input, which
would make ``model_validate(json.loads(line))`` fail on every enum. Lax enum
validation still accepts only the exact values: nothing is coerced.
"""

_IDENTIFIER: TypeAdapter[str] = TypeAdapter(Identifier)


def check_site_id(site_id: str) -> str:
    """Return ``site_id`` if it is a valid :data:`Identifier`; raise ``ConfigError`` (key site_id) if not."""
    try:
        return _IDENTIFIER.validate_python(site_id)
    except ValidationError:
        raise ConfigError(f"site id {site_id!r} is not a valid name", key="site_id") from None
