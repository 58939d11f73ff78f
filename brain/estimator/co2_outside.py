"""A CO2 sensor that reads below outside air while the house is ventilated in the dark.

Why: in the dark nothing in a greenhouse takes CO2 up (no photosynthesis) and the crop and
the soil give it off, so with the vents or exhaust fans open the house sits at outside
air or above it: about 420 ppm in 2024 (``../shared/reference/tomato_climate.md``, "CO2").
A sensor that reads well below that, hour after hour under ventilation in the dark, reads
low: OSU 2024 shows 337-366 ppm at night with the exhaust fans at 99-100 % from late June
to mid-August (docs/anomaly_thresholds.md, "CO2 against outside air").

The verdict makes the CO2 sensor a *suspect*, like drift: status ``degraded``, fault
``drift``, its value still used at reduced trust, evidence ``below_outside_air_ventilated``
(the lowest reading of the window against the limit). It is found after ``hold_s`` of
readings below ``outside_ppm - margin_ppm`` under ventilation in the dark, and cleared by a
reading at or above that limit under the same conditions once ``clear_after_s`` have passed
without such an hour (the offset shows on most ventilated nights, not every hour of them);
hours without ventilation or with light change nothing (they cannot tell).

Ventilation is what the device status says: a device of kind ``ventilation`` runs
(``[advisor.devices]``, else a name holding ``vent``, ``exhaust``, ``shutter`` or ``window``;
from 10 % open where it has a position: :mod:`brain.device_kinds`). A circulation fan is not
ventilation: it moves no outside air.
"""

from __future__ import annotations

from brain.estimator.health import Evidence
from brain.estimator.settings import Co2OutsideSettings


class Co2OutsideCheck:
    """:meth:`observe` once per observation; ``verdict`` is ``(onset, evidence)`` while suspect."""

    def __init__(self, settings: Co2OutsideSettings, *, gap_s: float) -> None:
        self._limit = settings.outside_ppm - settings.margin_ppm
        self.clear = self._limit
        """At or above this a reading cannot make the verdict (the estimator calls :meth:`observe`
        below it, or while the verdict holds)."""
        self._hold_s = settings.hold_s
        self._clear_after_s = settings.clear_after_s
        self._gap_s = gap_s
        self._low_since: float | None = None
        self._low_min = 0.0
        self._last_low_t = -float("inf")
        self._last_t = -float("inf")
        self.verdict: tuple[float, Evidence] | None = None

    def observe(self, t: float, co2_ppm: float | None, ventilated: bool | None, *, dark: bool) -> bool:
        """Judge one reading; returns whether the verdict changed."""
        if t - self._last_t > self._gap_s:
            self._low_since = None
        self._last_t = t
        if co2_ppm is None or not ventilated or not dark:
            return False  # cannot tell: nothing changes
        before = self.verdict
        if co2_ppm < self._limit:
            if self._low_since is None:
                self._low_since, self._low_min = t, co2_ppm
            self._low_min = min(self._low_min, co2_ppm)
            held = t - self._low_since
            if held >= self._hold_s:
                self._last_low_t = t
                if self.verdict is None:
                    evidence = (held, "below_outside_air_ventilated", self._low_min, self._limit)
                    self.verdict = (self._low_since, evidence)
        else:
            self._low_since = None
            if self.verdict is not None and t - self._last_low_t >= self._clear_after_s:
                self.verdict = None
        return self.verdict is not before
