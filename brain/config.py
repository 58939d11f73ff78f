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

The loading itself (the layers, the environment's rules, origins, errors) is
:mod:`brain.settings_core`, which a light process (``brain uplink``) uses to load only
the keys it reads; the top-level keys they share are defined there too
(:class:`~brain.settings_core.SiteSettings`).

Each section is owned by the package that reads it (``[storage]`` is
:class:`brain.storage.settings.StorageSettings`, ``[simulation]``
:class:`brain.sources.synthetic.settings.SimulationSettings`, ``[replay]``
:class:`brain.sources.replay.ReplaySettings`, ``[estimator]``
:class:`brain.estimator.settings.EstimatorSection`, ``[advisor]``
:class:`brain.advisor.settings.AdvisorSettings`, ``[logging]``
:class:`brain.logging.LoggingSettings`, ``[uplink]``
:class:`brain.uplink.settings.UplinkSettings`); this module composes them, holds the
top-level keys, and does the loading, precedence and origins. Nothing below it
imports it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from brain.advisor.settings import AdvisorSettings
from brain.contracts import DEFAULT_DEVICES, Identifier
from brain.errors import ConfigError
from brain.estimator.settings import EstimatorSection
from brain.settings_core import Layers, flatten, origin_of, read_layers
from brain.sources.replay import ReplaySettings
from brain.sources.synthetic.settings import SimulationSettings, default_start
from brain.storage.settings import StorageSettings
from brain.uplink.settings import UplinkProcessSettings


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


class BrainSettings(BaseSettings, UplinkProcessSettings):
    """The whole configuration of one daemon (file: ``config/brain.toml`` on the Pi).

    The top-level keys and sections that ``brain uplink`` reads too (``site_id``, ``data_root``,
    the cadence, ``[logging]``, ``[uplink]``) are inherited from
    :class:`brain.uplink.settings.UplinkProcessSettings` (itself
    :class:`brain.settings_core.SiteSettings` and ``[uplink]``), so each is defined once.
    """

    model_config = SettingsConfigDict(extra="forbid", frozen=True)

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

    source: SourceKind | None = None
    """Which source to poll: hardware, synthetic (``--simulate``) or replay (``--replay``); no default."""
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
    advisor: AdvisorSettings = AdvisorSettings()
    """``[advisor]``: the site's devices and their kinds, its place, its set points (docs/advisor.md)."""
    hardware: dict[str, Any] = Field(default_factory=dict)
    """The hardware plugin's own section (sensors, relays); it validates it itself."""

    @model_validator(mode="before")
    @classmethod
    def _simulate_the_local_day(cls, data: Any) -> Any:
        """With no ``simulation.start``, start at the site's local midnight (:func:`default_start`).

        Why here: the default depends on ``timezone``, a key outside ``[simulation]``. A zone
        that does not load is left to the field's own check, which names it.
        """
        if not isinstance(data, dict):
            return data
        simulation = data.get("simulation", {})
        zone = data.get("timezone", "UTC")
        if not isinstance(simulation, dict) or "start" in simulation or not isinstance(zone, str):
            return data
        try:
            start = default_start(zone)
        except (ValueError, KeyError, OSError):  # an unknown zone: refused by the field, naming the key
            return data
        return {**data, "simulation": {**simulation, "start": start}}


class LoadedSettings(BaseModel):
    """The effective settings and, for each dotted key, where its value came from."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    settings: BrainSettings
    origins: dict[str, str]
    """Dotted key -> the file's path, ``environment BRAIN_NAME``, ``command line`` or ``default``."""
    config_file: Path | None
    deprecated: dict[str, str] = Field(default_factory=dict)
    """Deprecated key that was set -> the key that replaces it (:data:`MOVED_KEYS`); the callers warn."""

    def origin_of(self, key: str) -> str:
        """Where the value of ``key`` (``storage.fsync``, ``hardware.sensors[1].pin``) came from."""
        return origin_of(key, self.origins)


def load_settings(
    config_file: os.PathLike[str] | str | None = None, flags: Mapping[str, Any] | None = None
) -> LoadedSettings:
    """Load and validate the settings; raise :class:`ConfigError` naming key, origin and reason.

    ``flags`` is a nested mapping of command-line values (``{"simulation": {"seed": 7}}``).
    """
    layers = read_layers(BrainSettings, config_file, flags)
    deprecated = _move_deprecated(layers)
    context = _LAYERS.set((layers.environment, layers.file))
    try:
        settings = BrainSettings(**layers.flags)
    except ValidationError as exc:
        raise layers.error(exc) from exc
    finally:
        _LAYERS.reset(context)
    return LoadedSettings(
        settings=settings, origins=layers.origins, config_file=layers.config_file, deprecated=deprecated
    )


MOVED_KEYS = {
    "estimator.latitude": "latitude",
    "estimator.longitude": "longitude",
    "advisor.latitude": "latitude",
    "advisor.longitude": "longitude",
}
"""Deprecated key -> its replacement, read as an alias for one release (docs/configuration.md).

Why: the site's place was first set in two sections (issues 27 and 28) and a grower must
set it once; a file written with the old keys still starts, with a warning naming the new key.
"""


def _move_deprecated(layers: Layers) -> dict[str, str]:
    """Move each deprecated key of each layer to its replacement; the keys moved, old -> new.

    The old and the new key set to different values in one layer is a configuration error
    (which one is meant cannot be known); the same value twice is accepted.
    """
    moved: dict[str, str] = {}
    for layer in (layers.file, layers.environment, layers.flags):
        for old, new in MOVED_KEYS.items():
            section, _, key = old.partition(".")
            table = layer.get(section)
            if not isinstance(table, dict) or key not in table:
                continue
            value = table.pop(key)
            origin = layers.origins.pop(old, "default")
            if new in layer and layer[new] != value:
                raise ConfigError(
                    f"invalid setting {old}: deprecated alias of {new}, which is set to another value"
                    f" ({layer[new]!r}); keep only {new}; from {origin}",
                    key=old,
                    origin=origin,
                )
            layer[new] = value
            layers.origins[new] = origin
            moved[old] = new
    return moved


def deprecation_warnings(loaded: LoadedSettings) -> list[str]:
    """One sentence per deprecated key the settings used, naming the key that replaces it."""
    return [
        f"{old} is deprecated (read this release only): set the top-level {new} instead"
        f" (beside site_id and timezone); from {loaded.origin_of(new)}"
        for old, new in loaded.deprecated.items()
    ]


def describe(loaded: LoadedSettings) -> str:
    """Render ``key = value  # origin`` lines, the output of ``brain config show``."""
    lines = []
    for key, value in flatten(loaded.settings.model_dump(mode="json")).items():
        lines.append(f"{key} = {value!r}  # {origin_of(key, loaded.origins)}")
    return "\n".join(lines)
