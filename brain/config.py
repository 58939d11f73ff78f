"""Every setting of brain: its type, default and meaning, in one place.

Why pydantic-settings: one model gives validation, defaults, the documented
TOML layout and the ``BRAIN_*`` environment overrides (``BRAIN_STORAGE__FSYNC=always``
sets ``storage.fsync``) with a single precedence rule:

    command-line flags  >  BRAIN_* environment  >  TOML file  >  defaults

A bad value stops the program before anything starts, with the dotted key, the
place the value came from and the reason (:class:`brain.errors.ConfigError`;
the CLI exits 78 so systemd does not restart a misconfigured daemon in a loop).
``docs/configuration.md`` lists every key; ``brain config show`` prints the
effective values and where each came from.

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

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from brain.contracts import DEFAULT_DEVICES, Identifier
from brain.errors import ConfigError
from brain.estimator.settings import EstimatorSection
from brain.logging import LoggingSettings
from brain.sources.replay import ReplaySettings
from brain.sources.synthetic.settings import SimulationSettings
from brain.storage.settings import StorageSettings
from brain.timezones import TimeZoneName
from brain.toml_file import read_toml
from brain.uplink.settings import UplinkSettings

ENV_PREFIX = "BRAIN_"


class SourceKind(StrEnum):
    """Which source feeds the daemon."""

    HARDWARE = "hardware"
    SYNTHETIC = "synthetic"
    REPLAY = "replay"


class BrainSettings(BaseSettings):
    """The whole configuration of one daemon (file: ``config/brain.toml`` on the Pi)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
    )
    toml_file: ClassVar[Path | None] = None

    site_id: Identifier = "greenhouse-1"
    """Name of the greenhouse; written into every record."""
    timezone: TimeZoneName = "UTC"
    """Site time zone (IANA name): run directories and day rotation follow its midnight."""
    data_root: Path = Path("data")
    """Where run directories are written (``/var/lib/brain`` on the Pi)."""
    source: SourceKind = SourceKind.HARDWARE
    """Which source to poll: hardware, synthetic (``--simulate``) or replay (``--replay``)."""
    poll_interval_s: Annotated[float, Field(gt=0, le=3600)] = 60.0
    """Seconds between two sensor polls (hardware and synthetic)."""
    base_cycle_s: Annotated[float, Field(gt=0, le=86400)] = 900.0
    """Seconds between two base state records; extra ones are written when anything changes."""
    time_scale: Annotated[float, Field(ge=0)] = 0.0
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

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Flags (init) over environment over the TOML file; no dotenv, no secrets dir."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls.toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls.toml_file))
        return tuple(sources)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and key != "hardware":
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


class LoadedSettings(BaseModel):
    """The effective settings and, for each dotted key, where its value came from."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    settings: BrainSettings
    origins: dict[str, str]
    config_file: Path | None


def load_settings(config_file: Path | None = None, flags: Mapping[str, Any] | None = None) -> LoadedSettings:
    """Load and validate the settings; raise :class:`ConfigError` naming key, origin and reason.

    ``flags`` is a nested mapping of command-line values (``{"simulation": {"seed": 7}}``).
    """
    flags = dict(flags or {})
    file_data = read_toml(config_file, what="configuration file") if config_file is not None else {}
    env_data = EnvSettingsSource(BrainSettings)()
    origins = dict.fromkeys(_flatten(BrainSettings.model_construct().model_dump()), "default")
    for label, layer in ((str(config_file), file_data), ("environment", env_data), ("command line", flags)):
        for key in _flatten(layer):
            origins[key] = label
    settings_cls = type("BrainSettings", (BrainSettings,), {"toml_file": config_file, "__doc__": None})
    try:
        settings = settings_cls(**flags)
    except ValidationError as exc:
        raise ConfigError.from_validation(
            exc,
            file=str(config_file) if config_file is not None else None,
            origin=lambda key: _origin_of(key, origins),
        ) from exc
    return LoadedSettings(
        settings=BrainSettings.model_validate(settings.model_dump()), origins=origins, config_file=config_file
    )


def _origin_of(key: str, origins: Mapping[str, str]) -> str:
    probe = key
    while probe:
        if probe in origins:
            return origins[probe]
        probe = probe.rpartition(".")[0]
    below = [origin for dotted, origin in origins.items() if dotted.startswith(key + ".")]
    return below[-1] if below else "unknown"


def describe(loaded: LoadedSettings) -> str:
    """Render ``key = value  # origin`` lines, the output of ``brain config show``."""
    lines = []
    for key, value in _flatten(loaded.settings.model_dump(mode="json")).items():
        lines.append(f"{key} = {value!r}  # {_origin_of(key, loaded.origins)}")
    return "\n".join(lines)
