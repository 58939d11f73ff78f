"""The top-level keys every brain process reads, and the layered loading any settings model goes through.

Why apart from :mod:`brain.config`: that module composes every section (estimator,
simulation, replay, storage, ...) and importing it imports the packages that own them.
A light process that reads only a few keys (``brain uplink``: the site, the data root,
the cadence, ``[logging]`` and ``[uplink]``; docs/performance.md, its memory budget)
validates a model of just those with :func:`load_model`, built on :class:`SiteSettings`
as :class:`brain.config.BrainSettings` is, from the same file and ``BRAIN_*``
environment by the same rules, so a value means the same and a bad one gets the
same message (key, origin, reason) in both. ``brain config check`` still validates
the whole file.

Precedence, in both: command-line flags > ``BRAIN_*`` environment > TOML file > defaults.
"""

from __future__ import annotations

import json
import os
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from brain.errors import VALUE_NOT_SHOWN, ConfigError, value_may_be_secret
from brain.logging import LoggingSettings
from brain.names import DEFAULT_DEVICE_KINDS, DeviceKind
from brain.settings_types import Identifier, SettingPath
from brain.timezones import TimeZoneName
from brain.toml_file import read_toml

ENV_PREFIX = "BRAIN_"
COMMAND_LINE = "command line"
"""The origin of a value given as a ``brain-daemon`` flag (the CLI makes a bad one a usage error)."""
ENVIRONMENT = "environment"
"""Origins of environment values read ``environment BRAIN_NAME``."""
MIN_INTERVAL_S = 0.1
"""Shortest poll interval and base cycle, in seconds.

Why: the floor's job is that time moves. A poll interval of 1e-300 s never advanced the
simulated clock and wrote 121,128 observations with one timestamp in 5 s, and 1e-7 s is
less than the scheduler's grid (whole microseconds) can hold. Nothing in a greenhouse
changes within a tenth of a second (the DHT22 cannot even be read more often than every
2 s); at 0.1 s a simulated day is 864,000 observations, a bounded run. Sub-second polls
are for drills: the clock-jump drill polls the real clock every 0.25 s to cross midnight
in seconds.
"""
MAX_DEPTH = 32
"""Deepest nesting of tables and lists a configuration may have (the Pi's is 4 deep)."""

Model = TypeVar("Model", bound=BaseModel)


class SiteSettings(BaseModel):
    """The top-level keys of the configuration that more than the daemon reads.

    :class:`brain.config.BrainSettings` is built on it (and forbids unknown keys); a
    light process's model built on it ignores the sections it does not read.
    """

    model_config = ConfigDict(frozen=True)

    site_id: Identifier = "greenhouse-1"
    """Name of the greenhouse; written into every record."""
    timezone: TimeZoneName = "UTC"
    """Site time zone (IANA name): run directories and day rotation follow its midnight."""
    latitude: Annotated[float, Field(ge=-90.0, le=90.0)] | None = None
    """The site's latitude, degrees north: sunrise and sunset for the estimator's light hours and
    nights and the advisor's day and night where PAR does not tell them. Unset: nights by the clock."""
    longitude: Annotated[float, Field(ge=-180.0, le=180.0)] | None = Field(
        default=None, validate_default=True
    )
    """The site's longitude, degrees east (west negative); set with ``latitude``."""
    data_root: SettingPath = Path("data")
    """Where run directories are written (``/var/lib/brain`` on the Pi); never empty."""
    poll_interval_s: Annotated[float, Field(strict=True, ge=MIN_INTERVAL_S, le=3600)] = 60.0
    """Seconds between two sensor polls (hardware and synthetic), 0.1 to 3600."""
    base_cycle_s: Annotated[float, Field(strict=True, ge=MIN_INTERVAL_S, le=86400)] = 900.0
    """Seconds between two base state records, 0.1 to 86400; extra ones are written when anything changes."""
    logging: LoggingSettings = LoggingSettings()
    """``[logging]``: format and level."""

    @field_validator("longitude")
    @classmethod
    def _place_is_whole(cls, longitude: float | None, info: ValidationInfo) -> float | None:
        """Why: a latitude without a longitude would put sunrise at the wrong hour, silently."""
        if "latitude" in info.data and (info.data["latitude"] is None) != (longitude is None):
            raise ValueError("latitude and longitude go together: set both or neither")
        return longitude


class AdvisorDevices(BaseModel):
    """What ``brain uplink`` reads of ``[advisor]``: the devices and their kinds, nothing else.

    Why: Home Assistant gets one advice entity per device kind, and an alert the advice of the
    kinds that answer it (docs/fleet.md); an action names a device, not its kind. The rest of
    ``[advisor]`` is the daemon's (``brain config check`` validates all of it).
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    devices: dict[str, DeviceKind] = Field(default_factory=lambda: dict(DEFAULT_DEVICE_KINDS))
    """Device name to kind (``[advisor.devices]``); brain's seven relays when the file names none."""


@dataclass(frozen=True)
class Layers:
    """What the file, the environment and the flags say, before validation, and where each key came from."""

    file: dict[str, Any]
    environment: dict[str, Any]
    flags: dict[str, Any]
    origins: dict[str, str]
    """Dotted key -> the file's path, ``environment BRAIN_NAME``, ``command line`` or ``default``."""
    config_file: Path | None

    def merged(self) -> dict[str, Any]:
        """The layers as one mapping, by precedence (flags > environment > file)."""
        return _merged(self.file, self.environment, self.flags)

    def error(self, exc: ValidationError) -> ConfigError:
        """The :class:`ConfigError` of a validation failure: key, origin and reason."""
        error = ConfigError.from_validation(exc, file=None, origin=lambda key: origin_of(key, self.origins))
        if self.config_file is not None and error.origin == str(self.config_file):
            error.file = error.origin  # the value to fix is in the file
        return error


def read_layers(
    model: type[BaseModel], config_file: os.PathLike[str] | str | None, flags: Mapping[str, Any] | None
) -> Layers:
    """The file and the ``BRAIN_*`` environment, read for ``model``; a :class:`ConfigError` if unreadable."""
    path = Path(config_file) if config_file is not None else None
    flag_data = dict(flags or {})
    file_data = read_toml(path, what="configuration file") if path is not None else {}
    origins = dict.fromkeys(flatten(model.model_construct().model_dump()), "default")
    if path is not None:
        _check_depth(file_data, origin=str(path), file=str(path))
        origins.update(dict.fromkeys(flatten(file_data), str(path)))
    env_data, env_origins = environment_layer(os.environ, model)
    origins.update(env_origins)
    origins.update(dict.fromkeys(flatten(flag_data), COMMAND_LINE))
    return Layers(file_data, env_data, flag_data, origins, path)


def load_model(
    model: type[Model],
    config_file: os.PathLike[str] | str | None = None,
    flags: Mapping[str, Any] | None = None,
) -> Model:
    """``model`` from the flags, environment and file; a :class:`ConfigError` names key, origin, reason."""
    layers = read_layers(model, config_file, flags)
    try:
        return model.model_validate(layers.merged())
    except ValidationError as exc:
        raise layers.error(exc) from exc


def environment_layer(
    environ: Mapping[str, str], model: type[BaseModel]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The ``BRAIN_*`` variables as nested settings of ``model``, and the variable each dotted key came from.

    Names are read case-insensitively, ``__`` descends into a section. A number or
    boolean key takes the variable's text as that type; a section, list or table takes
    JSON (``BRAIN_SIMULATION__SCENARIOS='["heatwave"]'``); a whole section in JSON is
    read before the variables of its keys, which override it. Variables that name no
    setting of ``model`` (``BRAIN_CONFIG``, the file's path) are left alone.
    """
    data: dict[str, Any] = {}
    origins: dict[str, str] = {}
    ours = [name for name in environ if name.upper().startswith(ENV_PREFIX)]
    for name in sorted(ours, key=lambda n: (n.count("__"), n)):
        path = name[len(ENV_PREFIX) :].lower().split("__")
        if path[0] not in model.model_fields:
            continue
        label = f"{ENVIRONMENT} {name}"
        value = _environment_value(name, path, environ[name], label, model)
        nested = _nested(path, value)
        _check_depth(nested, origin=label)
        data = _merged(data, nested)
        inside_hardware = len(path) > 1 and path[0] == "hardware"  # one key of a table the file may hold too
        origins.update(dict.fromkeys([".".join(path)] if inside_hardware else flatten(nested), label))
    return data, origins


def _environment_value(name: str, path: Sequence[str], text: str, label: str, model: type[BaseModel]) -> Any:
    """The variable's text turned into what its key takes; a ``ConfigError`` naming it if it cannot be."""
    key = ".".join(path)
    kind = _field_type(path, model)
    secret = value_may_be_secret(key)
    got = VALUE_NOT_SHOWN if secret else f"got {text!r}"
    shown = "..." if secret else text
    if kind in (int, float, bool):
        try:
            return TypeAdapter(kind).validate_strings(text)
        except ValidationError as exc:
            reason = exc.errors(include_url=False)[0]["msg"]
            raise ConfigError(
                f"invalid setting {key}: {reason} ({got}); from {label}", key=key, origin=label
            ) from exc
    if not _is_structured(kind):
        return text
    if get_origin(kind) is list:
        example = f"{name}={json.dumps([shown])!r}"
        shape = "a JSON list"
    else:
        example = f"{name}='{{\"key\": value}}', or one variable per key: {name}__KEY=value"
        shape = "a JSON object"
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise ConfigError(
            f"invalid setting {key}: nested too deeply; from {label}", key=key, origin=label
        ) from exc
    except ValueError as exc:
        raise ConfigError(
            f"invalid setting {key}: {name} must be {shape}, e.g. {example} ({got}); from {label}",
            key=key,
            origin=label,
        ) from exc


def _field_type(path: Sequence[str], model: type[BaseModel]) -> Any:
    """The type of the field at ``path`` (Optional and Annotated taken off), or None if no field is there."""
    for depth, part in enumerate(path):
        field = model.model_fields.get(part)
        if field is None:
            return None
        kind = _plain(field.annotation)
        if depth == len(path) - 1:
            return kind
        if not (isinstance(kind, type) and issubclass(kind, BaseModel)):
            return None  # inside a free-form table (hardware): the plugin reads its own values
        model = kind
    return None


def _plain(annotation: Any) -> Any:
    if get_origin(annotation) is Annotated:
        return _plain(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        kinds = [arg for arg in get_args(annotation) if arg is not type(None)]
        return _plain(kinds[0]) if len(kinds) == 1 else annotation
    return annotation


def _is_structured(kind: Any) -> bool:
    """A section, list or table: given in the environment as JSON."""
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return True
    return kind in (list, dict) or get_origin(kind) in (list, dict)


def _check_depth(data: Any, *, origin: str, file: str | None = None) -> None:
    """Refuse settings nested deeper than :data:`MAX_DEPTH`, before anything recurses into them."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ConfigError(
                f"settings nested deeper than {MAX_DEPTH} levels; from {origin}", file=file, origin=origin
            )
        children = value.values() if isinstance(value, Mapping) else value if isinstance(value, list) else ()
        stack.extend((child, depth + 1) for child in children)


def _nested(path: Sequence[str], value: Any) -> dict[str, Any]:
    nested: dict[str, Any] = {path[-1]: value}
    for part in reversed(path[:-1]):
        nested = {part: nested}
    return nested


def _merged(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Later layers win key by key; tables are merged, every other value replaced."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
                merged[key] = _merged(merged[key], value)
            else:
                merged[key] = value
    return merged


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted keys to values (``{"storage": {"fsync": 1}}``: ``storage.fsync``); ``hardware`` stays whole."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and dotted != "hardware":
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def origin_of(key: str, origins: Mapping[str, str]) -> str:
    """The origin of ``key`` or of the nearest key above it (``devices[2]`` is in ``devices``)."""
    probe = key
    while probe:
        if probe in origins:
            return origins[probe]
        probe = probe[: probe.rindex("[")] if probe.endswith("]") else probe.rpartition(".")[0]
    below = [origin for dotted, origin in origins.items() if dotted.startswith(key + ".")]
    return below[-1] if below else "default"
