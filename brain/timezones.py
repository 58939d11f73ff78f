"""Site time-zone names: one check for every setting that holds one.

Why checked when read: the zone decides which ``run_YYYYMMDD`` a record lands in
and how local times in a foreign log are read, so a typo must stop the program at
start (naming the key), not surface at the first midnight.
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator


def known_time_zone(name: str) -> str:
    """Return ``name`` if it is an IANA time zone this machine knows; raise ``ValueError`` if not."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc
    return name


TimeZoneName = Annotated[str, AfterValidator(known_time_zone)]
"""A settings field holding an IANA time-zone name, e.g. ``"Europe/Amsterdam"``."""
