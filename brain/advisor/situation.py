"""What the rules read at one step: trusted readings, the weather outside, the time of day, the devices.

Two objects, refilled in place in turn (no allocation per poll: the advisor's budget is a
quarter of the estimator's step); the other one holds the previous step, whose readings an
advice held by a minimum time keeps citing. Every reading is the estimator's *trusted* value: a sensor the
estimator excluded (stuck, drifting, disconnected, stale) is ``None`` here, and a rule that needs
it gives no advice (docs/advisor.md, "Bad input"). ``None`` always means "not known".
"""

from __future__ import annotations

import functools
import string
from collections import deque
from dataclasses import dataclass, field

from brain.names import DeviceKind

TREND_WORDS_K = 0.3
"""An air trend smaller than this over 30 min is not worth words in a reason."""
TREND_SAMPLE_S = 300.0
"""The air is sampled for its trend this often."""
TREND_WINDOW_S = 1800.0
"""The trend is the change over this long (from the oldest sample within a sample more)."""


def trend_words(value: float | None) -> str:
    """An air trend (K per 30 min, or ``None``) as words: " and rising", " and falling" or nothing."""
    if value is None or abs(value) < TREND_WORDS_K:
        return ""
    return " and rising" if value > 0 else " and falling"


@functools.cache
def _plain(why: str) -> tuple[str, frozenset[int]]:
    """``why`` with each ``{!t}`` as ``{}`` for ``str.format``, and the arguments ``{!t}`` words.

    Why not a ``string.Formatter`` with the conversion ``!t``: it parses and formats in Python, some
    40,000 instructions per reason (callgrind), where ``str.format`` does it in C; the parse is done
    once per clause here. The trend is kept as the number it is until a reason is formatted.
    """
    parts: list[str] = []
    worded: set[int] = set()
    fields = 0
    for text, name, spec, conversion in string.Formatter().parse(why):
        parts.append(text.replace("{", "{{").replace("}", "}}"))
        if name is None:  # the text after the last field, or before an escaped brace
            continue
        if name:
            raise ValueError(f"reason clauses number their fields implicitly: {why!r}")
        convert = f"!{conversion}" if conversion and conversion != "t" else ""
        if conversion == "t":
            worded.add(fields)
        parts.append("{" + convert + (f":{spec}" if spec else "") + "}")
        fields += 1
    return "".join(parts), frozenset(worded)


@dataclass(slots=True)
class Desire:
    """What a kind of device should do now, and why.

    Built only when a kind's advice changes (on or off, its target position or its case):
    a step whose rule gives the same case and position keeps the ``Desire`` in force, so a
    quiet step builds no object (docs/advisor.md, "Step time"). Nothing changes a ``Desire``
    once built; its readings are those of the last step that gave this advice before it was
    kept (the step it was decided, or the step before a minimum time or an untrusted input
    held it). An action's reason cites the readings of the step it is written at.

    ``why`` is a format string over ``args`` (formatted only when asked, so a quiet step costs
    no string work), one clause citing the readings: ``"Air {:.1f} °C{!t}"`` (``!t``: the air's
    30-minute trend, :attr:`Situation.air_trend_k`, as " and rising" or " and falling" when it
    moved 0.3 K or more).
    """

    on: bool
    position: float | None
    """Target position, percent, for devices that have one; ``None`` for on/off only."""
    why: str
    args: tuple[object, ...] = ()

    def reason(self) -> str:
        """The clause with its readings filled in."""
        plain, worded = _plain(self.why)
        args = self.args
        if worded:
            args = tuple(trend_words(a) if i in worded else a for i, a in enumerate(args))  # type: ignore[arg-type]
        return plain.format(*args)


@dataclass(slots=True)
class Situation:
    """The inputs of one step (module docstring)."""

    epoch_s: float = 0.0
    """The observation's time, seconds since 1970 UTC."""
    local_s: float = 0.0
    """The same instant on the site's wall clock (local midnight is a multiple of 86,400)."""
    is_day: bool | None = None
    """Sun up (or daylight at the PAR sensor); ``None`` when neither can tell."""
    air_c: float | None = None
    rh_pct: float | None = None
    co2_ppm: float | None = None
    par: float | None = None
    """PAR at the sensor, lamps included."""
    natural_par: float | None = None
    """PAR minus what the lamps add (``lamp_par_umol_m2_s`` times their share on)."""
    substrate_pct: float | None = None
    vpd_kpa: float | None = None
    outside_c: float | None = None
    """The air outside (ObservationV1 1.1), filled only where a configured kind reads it."""
    step_s: float = 0.0
    """Seconds since the previous step (0 at the first; gaps over 15 min count as 15 min)."""
    previous_air_c: float | None = None
    """The trusted air temperature of the previous step, ``None`` when it was not trusted."""
    previous_rh_pct: float | None = None
    """The trusted RH of the previous step, ``None`` when it was not trusted."""
    air_samples: deque[tuple[float, float]] = field(default_factory=deque)
    """The air's samples (seconds since 1970, °C), 5 min apart since the air was last untrusted,
    of this step and the next one: what :attr:`air_trend_k` is computed from."""
    light_integral_mol_m2: float = 0.0
    """The local day's light integral so far."""
    heating_c: float = 0.0
    """The heating set point in force (day or night)."""
    actual: dict[DeviceKind, float | None] = field(default_factory=dict)
    """Per kind, the highest known position of its devices (``None``: none known, or none there)."""
    desired: dict[DeviceKind, Desire | None] = field(default_factory=dict)
    """The kinds decided so far at this step (the table's order: CO2 reads ventilation's)."""

    @property
    def air_trend_k(self) -> float | None:
        """Change of the air temperature over the last 30 min, K; ``None`` until known.

        From the oldest sample of the last 35 min, once that is at least 25 min old. Computed
        when a reason cites it, not at every step: reasons are built rarely, the samples are
        kept at every step (docs/advisor.md, "Step time").
        """
        air, epoch = self.air_c, self.epoch_s
        if air is None:
            return None
        for sample_s, sample in self.air_samples:
            if epoch - sample_s <= TREND_WINDOW_S + TREND_SAMPLE_S:
                return air - sample if epoch - sample_s >= TREND_WINDOW_S - TREND_SAMPLE_S else None
        return None

    @property
    def local_hour(self) -> float:
        """Hours since local midnight."""
        return (self.local_s % 86_400.0) / 3600.0

    def position_of(self, kind: DeviceKind) -> float:
        """What the devices of ``kind`` are at (actual when known, else the advice, else 0 %)."""
        actual = self.actual.get(kind)
        if actual is not None:
            return actual
        desire = self.desired.get(kind)
        if desire is None or not desire.on:
            return 0.0
        return desire.position if desire.position is not None else 100.0
