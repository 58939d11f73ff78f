"""Every setting of brain: its type, default and meaning, in one place.

Why one pydantic model: it gives validation, defaults and the documented TOML layout,
and the loading below adds the ``BRAIN_*`` environment overrides
(``BRAIN_STORAGE__FSYNC=always`` sets ``storage.fsync``) with a single precedence rule:

    command-line flags  >  BRAIN_* environment  >  TOML file  >  defaults

Why pydantic-settings with layers of our own: its ``settings_customise_sources`` seam
decides the precedence (the flags are its init source, the environment and the file
two sources read here), while reading the layers here traces every value to the place
it came from, down to the variable (``from environment BRAIN_STORAGE``); a variable
that cannot be read is a configuration error naming it, never a traceback (its own
environment source reports only the field, and ``BRAIN_STORAGE=garbage`` crashed it).
A bad value stops the program before anything starts, with the dotted
key, the place the value came from and the reason (:class:`brain.errors.ConfigError`;
the CLI exits 78 so systemd does not restart a misconfigured daemon in a loop, or 2
when the value came from a command-line flag). ``docs/configuration.md`` lists every
key and bound; ``brain config show`` prints the effective values and where each came from.

Each section is owned by the package that reads it (``[storage]`` is
:class:`brain.storage.settings.StorageSettings`, ``[simulation]``
:class:`brain.sources.synthetic.settings.SimulationSettings`, ``[replay]``
:class:`brain.sources.replay.ReplaySettings`, ``[estimator]``
:class:`brain.estimator.settings.EstimatorSection`, ``[logging]``
:class:`brain.logging.LoggingSettings`, ``[uplink]``
:class:`brain.uplink.settings.UplinkSettings`); this module composes them, holds the
top-level keys, and does the loading, precedence and origins. Nothing below it
imports it.
"""

from __future__ import annotations

import json
import os
import types
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from brain.contracts import DEFAULT_DEVICES, Identifier
from brain.errors import ConfigError
from brain.estimator.settings import EstimatorSection
from brain.logging import LoggingSettings
from brain.settings_types import SettingPath
from brain.sources.replay import ReplaySettings
from brain.sources.synthetic.settings import SimulationSettings
from brain.storage.settings import StorageSettings
from brain.timezones import TimeZoneName
from brain.toml_file import read_toml
from brain.uplink.settings import UplinkSettings

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


class SourceKind(StrEnum):
    """Which source feeds the daemon."""

    HARDWARE = "hardware"
    SYNTHETIC = "synthetic"
    REPLAY = "replay"


class _Layer(PydanticBaseSettingsSource):
    """A layer read and checked here (the environment, or the file), as a pydantic-settings source."""

    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return self._data


_LAYERS: ContextVar[tuple[dict[str, Any], dict[str, Any]]] = ContextVar(
    "brain_settings_layers", default=({}, {})
)
"""The environment and file layers of the :func:`load_settings` call in progress (none outside one)."""


class BrainSettings(BaseSettings):
    """The whole configuration of one daemon (file: ``config/brain.toml`` on the Pi)."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Flags (the init source) > ``BRAIN_*`` environment > TOML file > defaults; nothing else read."""
        environment, file = _LAYERS.get()
        return init_settings, _Layer(settings_cls, environment), _Layer(settings_cls, file)

    site_id: Identifier = "greenhouse-1"
    """Name of the greenhouse; written into every record."""
    timezone: TimeZoneName = "UTC"
    """Site time zone (IANA name): run directories and day rotation follow its midnight."""
    data_root: SettingPath = Path("data")
    """Where run directories are written (``/var/lib/brain`` on the Pi); never empty."""
    source: SourceKind | None = None
    """Which source to poll: hardware, synthetic (``--simulate``) or replay (``--replay``); no default."""
    poll_interval_s: Annotated[float, Field(strict=True, ge=MIN_INTERVAL_S, le=3600)] = 60.0
    """Seconds between two sensor polls (hardware and synthetic), 0.1 to 3600."""
    base_cycle_s: Annotated[float, Field(strict=True, ge=MIN_INTERVAL_S, le=86400)] = 900.0
    """Seconds between two base state records, 0.1 to 86400; extra ones are written when anything changes."""
    time_scale: Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)] = 0.0
    """Simulate and replay only: logical seconds per wall second; 0 runs as fast as the machine can."""
    devices: list[Identifier] = Field(default_factory=lambda: list(DEFAULT_DEVICES))
    """Relay names of the synthetic source (the hardware source names its own)."""
    storage: StorageSettings = StorageSettings()
    """``[storage]``: durability, rotation, retention."""
    simulation: SimulationSettings = SimulationSettings()
    """``[simulation]``: the synthetic greenhouse."""
    replay: ReplaySettings = ReplaySettings()
    """``[replay]``: what to replay and how to treat bad lines."""
    estimator: EstimatorSection = EstimatorSection()
    """``[estimator]``: where the thresholds come from."""
    logging: LoggingSettings = LoggingSettings()
    """``[logging]``: format and level."""
    uplink: UplinkSettings = UplinkSettings()
    """``[uplink]``: the MQTT broker, Home Assistant discovery and alerts of ``brain uplink``."""
    hardware: dict[str, Any] = Field(default_factory=dict)
    """The hardware plugin's own section (sensors, relays); it validates it itself."""


class LoadedSettings(BaseModel):
    """The effective settings and, for each dotted key, where its value came from."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    settings: BrainSettings
    origins: dict[str, str]
    """Dotted key -> the file's path, ``environment BRAIN_NAME``, ``command line`` or ``default``."""
    config_file: Path | None

    def origin_of(self, key: str) -> str:
        """Where the value of ``key`` (``storage.fsync``, ``hardware.sensors[1].pin``) came from."""
        return _origin_of(key, self.origins)


def load_settings(
    config_file: os.PathLike[str] | str | None = None, flags: Mapping[str, Any] | None = None
) -> LoadedSettings:
    """Load and validate the settings; raise :class:`ConfigError` naming key, origin and reason.

    ``flags`` is a nested mapping of command-line values (``{"simulation": {"seed": 7}}``).
    """
    path = Path(config_file) if config_file is not None else None
    flags = dict(flags or {})
    file_data = read_toml(path, what="configuration file") if path is not None else {}
    origins = dict.fromkeys(_flatten(BrainSettings.model_construct().model_dump()), "default")
    if path is not None:
        _check_depth(file_data, origin=str(path), file=str(path))
        origins.update(dict.fromkeys(_flatten(file_data), str(path)))
    env_data, env_origins = environment_layer(os.environ)
    origins.update(env_origins)
    origins.update(dict.fromkeys(_flatten(flags), COMMAND_LINE))
    layers = _LAYERS.set((env_data, file_data))
    try:
        settings = BrainSettings(**flags)
    except ValidationError as exc:
        error = ConfigError.from_validation(exc, file=None, origin=lambda key: _origin_of(key, origins))
        if path is not None and error.origin == str(path):
            error.file = error.origin  # the value to fix is in the file
        raise error from exc
    finally:
        _LAYERS.reset(layers)
    return LoadedSettings(settings=settings, origins=origins, config_file=path)


def environment_layer(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The ``BRAIN_*`` variables as nested settings, and the variable each dotted key came from.

    Names are read case-insensitively, ``__`` descends into a section. A number or
    boolean key takes the variable's text as that type; a section, list or table takes
    JSON (``BRAIN_SIMULATION__SCENARIOS='["heatwave"]'``); a whole section in JSON is
    read before the variables of its keys, which override it. Variables that name no
    setting (``BRAIN_CONFIG``, the file's path) are left alone.
    """
    data: dict[str, Any] = {}
    origins: dict[str, str] = {}
    ours = [name for name in environ if name.upper().startswith(ENV_PREFIX)]
    for name in sorted(ours, key=lambda n: (n.count("__"), n)):
        path = name[len(ENV_PREFIX) :].lower().split("__")
        if path[0] not in BrainSettings.model_fields:
            continue
        label = f"{ENVIRONMENT} {name}"
        value = _environment_value(name, path, environ[name], label)
        nested = _nested(path, value)
        _check_depth(nested, origin=label)
        data = _merged(data, nested)
        inside_hardware = len(path) > 1 and path[0] == "hardware"  # one key of a table the file may hold too
        origins.update(dict.fromkeys([".".join(path)] if inside_hardware else _flatten(nested), label))
    return data, origins


def _environment_value(name: str, path: Sequence[str], text: str, label: str) -> Any:
    """The variable's text turned into what its key takes; a ``ConfigError`` naming it if it cannot be."""
    key = ".".join(path)
    kind = _field_type(path)
    if kind in (int, float, bool):
        try:
            return TypeAdapter(kind).validate_strings(text)
        except ValidationError as exc:
            reason = exc.errors(include_url=False)[0]["msg"]
            raise ConfigError(
                f"invalid setting {key}: {reason} (got {text!r}); from {label}", key=key, origin=label
            ) from exc
    if not _is_structured(kind):
        return text
    if get_origin(kind) is list:
        example = f"{name}={json.dumps([text])!r}"
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
            f"invalid setting {key}: {name} must be {shape}, e.g. {example} (got {text!r}); from {label}",
            key=key,
            origin=label,
        ) from exc


def _field_type(path: Sequence[str]) -> Any:
    """The type of the field at ``path`` (Optional and Annotated taken off), or None if no field is there."""
    model: type[BaseModel] = BrainSettings
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


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and dotted != "hardware":
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _origin_of(key: str, origins: Mapping[str, str]) -> str:
    """The origin of ``key`` or of the nearest key above it (``devices[2]`` is in ``devices``)."""
    probe = key
    while probe:
        if probe in origins:
            return origins[probe]
        probe = probe[: probe.rindex("[")] if probe.endswith("]") else probe.rpartition(".")[0]
    below = [origin for dotted, origin in origins.items() if dotted.startswith(key + ".")]
    return below[-1] if below else "default"


def describe(loaded: LoadedSettings) -> str:
    """Render ``key = value  # origin`` lines, the output of ``brain config show``."""
    lines = []
    for key, value in _flatten(loaded.settings.model_dump(mode="json")).items():
        lines.append(f"{key} = {value!r}  # {_origin_of(key, loaded.origins)}")
    return "\n".join(lines)
