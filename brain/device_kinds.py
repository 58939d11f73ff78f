"""Which kind of device a relay is, and whether the devices of a kind are running.

Why one definition: the estimator (is the house ventilated in the dark? are the lamps
lighting it?) and the uplink's alert policy (is the house already acting on this
condition?) ask the same question of a device status, and the advisor's table of kinds
(``[advisor.devices]``, :class:`brain.names.DeviceKind`) is what answers it. Before, the
estimator told devices by words in their names, ``fan`` among them, so a circulation fan
running at night counted as the house being ventilated.

A device the configuration gives no kind is told by its name (:data:`KIND_WORDS`), as a
site's own names usually say (``vent_fan``, ``exhaust_fans``, ``vent_lee``; ``pad_cooling``;
``grow_lights``). Whether a device runs is its position where the device status carries one
(DeviceStatusV1 1.1), from :data:`MIN_OPEN_PCT`, else its relay being ``on``. Device states
may be :class:`brain.contracts.RelayState` members or the plain strings of a stored line.
"""

from __future__ import annotations

from collections.abc import Mapping

from brain.names import DeviceKind

KIND_WORDS: dict[str, tuple[str, ...]] = {
    DeviceKind.VENTILATION: ("vent", "exhaust", "shutter", "window"),
    DeviceKind.COOLING: ("pad", "cool", "fog", "mist"),
    DeviceKind.LAMPS: ("lamp", "light"),
}
"""A device with no configured kind is of the first kind a word of which its name holds; a bare
``fan`` is none of them, as circulation fans move no outside air."""
MIN_OPEN_PCT = 10.0
"""A positioned device counts as running from this opening: a vent cracked 2 % for humidity is
not the house ventilating."""


def device_kind(name: str, kinds: Mapping[str, str]) -> str | None:
    """``name``'s kind: as configured (``[advisor.devices]``), else as its name tells, else ``None``."""
    if name in kinds:
        return kinds[name]
    return next((kind for kind, words in KIND_WORDS.items() if any(word in name for word in words)), None)


def running(name: str, relays: Mapping[str, object], positions: Mapping[str, object]) -> bool:
    """Whether device ``name`` runs: its position from :data:`MIN_OPEN_PCT` where known, else relay ``on``."""
    position = positions.get(name)
    if isinstance(position, int | float) and not isinstance(position, bool):
        return float(position) >= MIN_OPEN_PCT
    return relays.get(name) == "on"


def kind_running(
    kind: str, relays: Mapping[str, object], positions: Mapping[str, object], kinds: Mapping[str, str]
) -> bool | None:
    """Whether some device of ``kind`` runs; ``None`` when the site has none whose state is known."""
    known = False
    for name, state in relays.items():
        if device_kind(name, kinds) != kind:
            continue
        if running(name, relays, positions):
            return True
        known = known or state == "off" or name in positions
    return False if known else None
