"""One error hierarchy, so callers can catch by meaning rather than by module.

Every error carries what a person needs to fix it: the key and file for a
configuration error, the path and line for bad input, the stream for storage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class BrainError(Exception):
    """Base of every error brain raises on purpose."""


class ConfigError(BrainError):
    """A setting is invalid; the daemon must stop before it starts (exit 78).

    ``key`` is the dotted setting, ``file`` the file that holds the bad value, and
    ``origin`` where the value came from when the message already says so (a file's
    path, ``environment BRAIN_NAME`` or ``command line``): the CLI tells a bad flag
    (a usage error) from a bad file or variable by it.
    """

    def __init__(
        self, message: str, *, key: str | None = None, file: str | None = None, origin: str | None = None
    ) -> None:
        self.key = key
        self.file = file
        self.origin = origin
        where = ", ".join(
            part for part in (f"key={key}" if key else "", f"file={file}" if file else "") if part
        )
        super().__init__(f"{message} ({where})" if where else message)

    @classmethod
    def from_validation(
        cls,
        exc: ValidationError,
        *,
        file: str | None,
        prefix: Sequence[str | int] = (),
        origin: Callable[[str], str] | None = None,
    ) -> ConfigError:
        """The first problem pydantic found, naming the dotted key, the value given and where it came from.

        ``prefix`` is where the validated section sits (``("hardware",)``);
        ``origin(key)`` names the layer a value came from when there are several
        (file, environment variable, command line); by default it is ``file``, and
        without either the message leaves the origin to the caller.
        """
        first = exc.errors(include_url=False)[0]
        key = dotted_key((*prefix, *first["loc"])) or "(top level)"
        shows_input = first["loc"] and first["type"] != "missing" and "input" in first
        got = f" (got {first['input']!r})" if shows_input else ""
        if shows_input and value_may_be_secret(key, first["type"]):
            got = f" ({VALUE_NOT_SHOWN})"
        where = origin(key) if origin is not None else file
        said = f"; from {where}" if where else ""
        return cls(f"invalid setting {key}: {first['msg']}{got}{said}", key=key, file=file, origin=where)


SECRET_SECTIONS = ("uplink",)
"""Sections whose values an error never repeats: ``[uplink]`` holds a password, a token, a URL that is one."""
VALUE_NOT_SHOWN = "value not shown: it may be a secret"


def value_may_be_secret(key: str, error_type: str | None = None) -> bool:
    """Whether an error about ``key`` must not repeat its value (so neither stderr nor the journal holds it).

    Why also unknown keys: a misspelt ``pasword = "..."`` is a password all the same, and a
    value under ``[uplink]`` of the wrong type (a numeric password) is still that value.
    """
    section = key.split(".", 1)[0].split("[", 1)[0]
    return error_type == "extra_forbidden" or section in SECRET_SECTIONS


def dotted_key(parts: Sequence[str | int]) -> str:
    """``("hardware", "sensors", 2, "pin")`` -> ``hardware.sensors[2].pin``.

    The ``[key]`` step pydantic adds when a dict key fails its own check says nothing to a person.
    """
    text = ""
    for part in parts:
        if part == "[key]":
            continue
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


class StorageError(BrainError):
    """Writing or reading a JSONL stream failed."""


class SourceError(BrainError):
    """A source cannot produce observations (bad file, fail-fast policy hit)."""


class SensorReadError(BrainError):
    """One sensor could not be read; the hardware source turns it into a null reading."""
