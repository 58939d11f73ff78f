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
    return _running_among([name for name in relays if device_kind(name, kinds) == kind], relays, positions)


def _running_among(
    names: list[str], relays: Mapping[str, object], positions: Mapping[str, object]
) -> bool | None:
    known = False
    for name in names:
        if running(name, relays, positions):
            return True
        known = known or relays.get(name) == "off" or name in positions
    return False if known else None


class SiteDevices:
    """One site's devices by kind, for a reader that asks at every poll (the estimator).

    Why a class: telling a device's kind by its name is a few string searches per device, and
    the estimator asks whether the lamps run at every poll of a site without a PAR sensor; a
    site's device names change only when its configuration does, so each set of names is
    sorted into kinds once (a comparison of the names, in C, at every poll).
    """

    def __init__(self, kinds: Mapping[str, str]) -> None:
        self._kinds = dict(kinds)
        self._names: object = None
        self._members: dict[str, list[str]] = {}

    def running(
        self, kind: str, relays: Mapping[str, object], positions: Mapping[str, object]
    ) -> bool | None:
        """:func:`kind_running` for this site's ``[advisor.devices]``."""
        names = relays.keys()
        if names != self._names:
            self._names = set(names)
            self._members = {}
            for name in relays:
                found = device_kind(name, self._kinds)
                if found is not None:
                    self._members.setdefault(found, []).append(name)
        return _running_among(self._members.get(kind, []), relays, positions)
