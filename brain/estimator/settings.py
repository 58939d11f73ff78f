"""The estimator's thresholds, loaded once from one TOML file and validated.

Why one file read by code, docs and tests: a threshold written in two places
drifts apart; here the packaged ``thresholds.toml`` is the only copy, the docs
quote it (a test checks every key and value is named there) and a site can
point ``estimator.thresholds_file`` at its own copy. A bad file raises
:class:`brain.errors.ConfigError` naming the dotted key and the file.
"""

from __future__ import annotations

import math
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from brain.contracts import AnomalyKind, Metric, SensorKey
from brain.errors import ConfigError
from brain.settings_types import SettingPath
from brain.toml_file import read_toml

PACKAGED_THRESHOLDS = "thresholds.toml"
"""Name of the packaged defaults inside ``brain.estimator``."""

_Seconds = Annotated[float, Field(strict=True, ge=0.0, allow_inf_nan=False)]
_Positive = Annotated[float, Field(strict=True, gt=0.0, allow_inf_nan=False)]
_PositiveSeconds = _Positive
_Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]
_NonNegative = Annotated[float, Field(strict=True, ge=0.0, allow_inf_nan=False)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class TimingSettings(_Section):
    """How observation times are judged, and the history's shape."""

    clock_step_back_s: _PositiveSeconds
    gap_s: _PositiveSeconds
    history_window_s: _PositiveSeconds
    history_min_spacing_s: _PositiveSeconds
    history_bucket_s: _PositiveSeconds


class ConfidenceSettings(_Section):
    """Inputs of docs/confidence_scoring.md."""

    degraded_factor: Annotated[float, Field(strict=True, ge=0.0, le=1.0)]
    stale_after_s: _PositiveSeconds
    weights: dict[SensorKey, Annotated[float, Field(strict=True, ge=0.0, le=1.0)]]

    @model_validator(mode="after")
    def _weights_cover_every_sensor(self) -> Self:
        missing = [key.value for key in SensorKey if key not in self.weights]
        if missing:
            raise ValueError(f"weights missing for {', '.join(missing)}")
        if not math.isclose(sum(self.weights.values()), 1.0, abs_tol=1e-9):
            raise ValueError("weights must sum to 1.0")
        return self


class SensorLimits(_Section):
    """Per-sensor health limits (docs/anomaly_thresholds.md, "Sensor health")."""

    valid_min: _Finite
    valid_max: _Finite
    jump_step_min: _NonNegative
    jump_step_per_min: _NonNegative
    spike_min: _NonNegative
    stuck_band: _NonNegative
    stuck_any_s: _PositiveSeconds
    stuck_daylight_s: _Seconds
    stuck_colocated_s: _Seconds
    stuck_colocated_move: _NonNegative
    stuck_ignore_below: _Finite | None = None
    stuck_exact_s: _Seconds = 0.0
    stuck_round_multiple: _NonNegative = 0.0
    stuck_round_s: _Seconds = 0.0
    stuck_exact_coarse_step: _NonNegative = 0.0

    @model_validator(mode="after")
    def _range_is_ordered(self) -> Self:
        if self.valid_min >= self.valid_max:
            raise ValueError("valid_min must be below valid_max")
        return self


class HealthSettings(_Section):
    """Sensor-health limits shared by all sensors, plus one :class:`SensorLimits` table per sensor.

    The per-sensor tables sit beside the shared keys (``[health.co2_ppm]``), one per
    :class:`SensorKey`; a table for a key brain does not know is refused.
    """

    model_config = ConfigDict(extra="allow")

    disconnect_polls: Annotated[int, Field(strict=True, ge=1)]
    disconnect_after_s: _PositiveSeconds
    recovery_s: _Seconds
    jump_window_s: _PositiveSeconds
    jump_typical_factor: _NonNegative
    spike_return_fraction: Annotated[float, Field(strict=True, gt=0.0, lt=1.0)]
    daylight_par_umol_m2_s: _NonNegative
    __pydantic_extra__: dict[str, SensorLimits] = Field(init=False)

    @model_validator(mode="after")
    def _one_table_per_sensor(self) -> Self:
        tables = self.__pydantic_extra__ or {}
        known = {key.value for key in SensorKey}
        unknown = sorted(set(tables) - known)
        if unknown:
            raise ValueError(f"no such sensor: {', '.join(unknown)}")
        missing = sorted(known - set(tables))
        if missing:
            raise ValueError(f"limits missing for {', '.join(missing)}")
        return self

    def limits(self, sensor: SensorKey) -> SensorLimits:
        """The limits of ``sensor``."""
        tables = self.__pydantic_extra__ or {}
        return tables[sensor.value]


class DriftSettings(_Section):
    """Drift of temperature and humidity against their reference day (docs/anomaly_thresholds.md)."""

    bucket_s: _PositiveSeconds
    reference_lag_s: _PositiveSeconds
    reference_days: Annotated[int, Field(ge=1, le=31)]
    sustain_s: _PositiveSeconds
    temperature_offset_c: _Positive
    temperature_dew_point_ratio: Annotated[float, Field(strict=True, gt=0.0, le=1.0)]
    humidity_offset_pct: _Positive
    humidity_max_temperature_offset_c: _Positive
    temperature_slope_c_per_h: _NonNegative
    humidity_slope_pct_per_h: _NonNegative
    min_r2: Annotated[float, Field(strict=True, ge=0.0, le=1.0)]
    temperature_offset_large_c: _Positive
    humidity_offset_large_pct: _Positive
    large_sustain_s: _PositiveSeconds

    @model_validator(mode="after")
    def _lag_is_whole_buckets(self) -> Self:
        if self.reference_lag_s % self.bucket_s:
            raise ValueError("reference_lag_s must be a whole number of bucket_s")
        return self


class FeedSettings(_Section):
    """A frozen feed: every channel repeating its last frame (docs/anomaly_thresholds.md)."""

    frozen_s: _PositiveSeconds
    min_repeats: Annotated[int, Field(ge=1)] = 1
    min_channels: Annotated[int, Field(ge=2)]
    group_frozen_s: _PositiveSeconds = math.inf


class DailySettings(_Section):
    """The grower's day: local night hours and how the daily figures are formed (brain.estimator.daily)."""

    night_start_hour: Annotated[int, Field(ge=12, le=23)]
    night_end_hour: Annotated[int, Field(ge=0, le=11)]
    mean_window_s: _PositiveSeconds
    bin_s: _PositiveSeconds
    min_coverage: Annotated[float, Field(gt=0.0, le=1.0)]


class When(StrEnum):
    """When a rule applies."""

    ALWAYS = "always"
    DAYLIGHT = "daylight"
    """In light, or when it is not known (no trusted PAR)."""
    DARK = "dark"
    """Only when a trusted PAR says it is dark."""


class Direction(StrEnum):
    """Which side of a threshold is the anomaly."""

    ABOVE = "above"
    BELOW = "below"


class AnomalyRule(_Section):
    """One anomaly kind: its metric, thresholds, hysteresis and durations."""

    metric: Metric
    direction: Direction
    warning: _Finite
    critical: _Finite | None = None
    hysteresis: _NonNegative
    warning_start_s: _Seconds
    critical_start_s: _Seconds = 0.0
    end_s: _Seconds
    merge_gap_s: _Seconds = 0.0
    when: When = When.ALWAYS

    @model_validator(mode="after")
    def _critical_is_beyond_warning(self) -> Self:
        if self.critical is not None:
            beyond = (
                self.critical > self.warning
                if self.direction is Direction.ABOVE
                else (self.critical < self.warning)
            )
            if not beyond:
                raise ValueError(f"critical must be {self.direction.value} warning")
        return self


class Co2OutsideSettings(_Section):
    """CO2 against outside air under ventilation in the dark (brain.estimator.co2_outside)."""

    outside_ppm: _Positive
    margin_ppm: _NonNegative
    hold_s: _PositiveSeconds
    clear_after_s: _PositiveSeconds


class FamilySettings(_Section):
    """Related rules told as one episode, and when a recurring one is a standing notice.

    See brain.estimator.families.
    """

    kinds: Annotated[list[AnomalyKind], Field(min_length=1)]
    merge_gap_s: _Seconds = 0.0
    standing_after_s: _Seconds
    standing_gap_s: _Seconds


class EstimatorSettings(_Section):
    """Everything the estimator judges by (``thresholds.toml``), validated.

    Load with :meth:`load`; ``source`` says which file the values came from.
    """

    timing: TimingSettings
    confidence: ConfidenceSettings
    health: HealthSettings
    drift: DriftSettings
    feed: FeedSettings
    co2_outside: Co2OutsideSettings
    daily: DailySettings
    anomalies: dict[AnomalyKind, AnomalyRule]
    families: dict[str, FamilySettings] = Field(default_factory=dict)
    source: str = "packaged thresholds.toml"

    @model_validator(mode="after")
    def _every_kind_has_a_rule(self) -> Self:
        missing = [kind.value for kind in AnomalyKind if kind not in self.anomalies]
        if missing:
            raise ValueError(f"anomaly rules missing for {', '.join(missing)}")
        seen: set[AnomalyKind] = set()
        for name in sorted(self.families):
            twice = [kind.value for kind in self.families[name].kinds if kind in seen]
            if twice:
                raise ValueError(f"families.{name}: {', '.join(twice)} already in another family")
            seen.update(self.families[name].kinds)
        return self

    @classmethod
    def load(cls, path: Path | None = None) -> EstimatorSettings:
        """Read and validate ``path``, or the packaged defaults when ``path`` is ``None``.

        Raises :class:`ConfigError` with the dotted key and the file on any problem.
        """
        packaged = resources.files("brain.estimator").joinpath(PACKAGED_THRESHOLDS)
        source = path if path is not None else packaged
        where = str(source)
        data = read_toml(source, what="thresholds file")
        data.setdefault("source", where)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError.from_validation(exc, file=where) from exc


class EstimatorSection(BaseModel):
    """The ``[estimator]`` section of brain's settings: where the thresholds come from.

    Named apart from :class:`EstimatorSettings`, which holds the thresholds themselves.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    thresholds_file: SettingPath | None = None
    """TOML of anomaly, confidence and sensor-health thresholds; unset = the packaged defaults."""
    installed_sensors: list[SensorKey] | None = None
    """The sensors this site has. A sensor not listed is never judged or reported; a listed one
    that gives nothing is a fault (``disconnect``). Unset: on the Pi (hardware source) all five;
    for a replay or a simulation, a sensor counts as installed from its first non-null reading."""

    def inventory(self, *, hardware: bool) -> list[SensorKey] | None:
        """The installed sensors to judge by; ``None`` means: learn them from the data.

        Why the Pi defaults to all five: a Pi whose drivers all fail must report five
        disconnects, not an empty greenhouse.
        """
        if self.installed_sensors is None and hardware:
            return list(SensorKey)
        return self.installed_sensors
