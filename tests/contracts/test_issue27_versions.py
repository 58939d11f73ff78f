"""Issue 27's minor versions: 1.0 lines read and write back byte for byte; 1.1 adds positions and more."""

import pytest
from pydantic import ValidationError

from brain.contracts import ActionType, ActionV1, DeviceStatusV1, ObservationV1

OLD_LINES = {
    DeviceStatusV1: '{"schema_version":"1.0","timestamp":"2026-06-01T12:00:00Z","site_id":"gh",'
    '"devices":{"heater":"off","vent_fan":"on","co2_valve":"unknown"}}',
    ObservationV1: '{"schema_version":"1.0","timestamp":"2026-06-01T12:00:00Z","site_id":"gh",'
    '"source":"replay","sensors":{"air_temperature_c":24.5,"relative_humidity_pct":68.0,"co2_ppm":null,'
    '"par_umol_m2_s":null,"substrate_moisture_pct":null},"errors":{}}',
    ActionV1: '{"schema_version":"1.0","timestamp":"2026-06-01T12:00:00Z","site_id":"gh",'
    '"action_type":"turn_on","target_device":"vent_fan","reason":"Hot.",'
    '"in_response_to":{"stream":"state","timestamp":"2026-06-01T12:00:00Z","kind":null},"mode":"advisory"}',
}


@pytest.mark.parametrize("model", list(OLD_LINES))
def test_a_1_0_line_reads_and_writes_back_unchanged(model: type) -> None:
    line = OLD_LINES[model]
    assert model.model_validate_json(line).model_dump_json() == line


def _status(**changes: object) -> dict:
    payload = {
        "schema_version": "1.1",
        "timestamp": "2024-07-14T17:20:00+00:00",
        "site_id": "osu",
        "devices": {"vent_lee": "on", "energy_screen": "off", "heater": "unknown"},
        "positions": {"vent_lee": 35.0, "energy_screen": 0.0},
    }
    return payload | changes


def test_positions_round_trip_and_answer_position() -> None:
    status = DeviceStatusV1.model_validate(_status())
    assert DeviceStatusV1.model_validate_json(status.model_dump_json()) == status
    assert status.position("vent_lee") == 35.0
    assert status.position("energy_screen") == 0.0
    assert status.position("heater") is None
    assert status.position("nothing") is None
    relays = DeviceStatusV1.model_validate(_status(schema_version="1.0", positions=None))
    assert relays.position("vent_lee") == 100.0
    assert relays.position("energy_screen") == 0.0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"positions": {"vent_lee": 100.5}}, "less than or equal to 100"),
        ({"positions": {"vent_lee": -1.0}}, "greater than or equal to 0"),
        ({"positions": {"vent_lee": 0.0}}, "must be 'off'"),
        ({"positions": {"heater": 20.0}}, "must be 'on'"),
        ({"positions": {"ghost": 20.0}}, "must be 'on' in devices, not None"),
        ({"schema_version": "1.0"}, "positions need schema_version 1.1"),
    ],
)
def test_bad_positions_are_refused(changes: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        DeviceStatusV1.model_validate(_status(**changes))


def test_outside_needs_1_1_and_round_trips() -> None:
    line = OLD_LINES[ObservationV1].replace('"1.0"', '"1.1"')[:-1]
    line += ',"outside":{"air_temperature_c":-2.5,"relative_humidity_pct":91.0}}'
    observation = ObservationV1.model_validate_json(line)
    assert observation.outside is not None and observation.outside.air_temperature_c == -2.5
    assert observation.model_dump_json() == line
    with pytest.raises(ValidationError, match=r"outside needs schema_version 1\.1"):
        ObservationV1.model_validate_json(line.replace('"1.1"', '"1.0"'))


def test_an_action_with_a_target_position_and_inspect() -> None:
    line = OLD_LINES[ActionV1].replace('"1.0"', '"1.1"')[:-1] + ',"target_position_pct":80.0}'
    action = ActionV1.model_validate_json(line)
    assert action.target_position_pct == 80.0
    assert action.model_dump_json() == line
    inspect = ActionV1.model_validate_json(line.replace("turn_on", "inspect"))
    assert inspect.action_type is ActionType.INSPECT
    with pytest.raises(ValidationError, match="less than or equal to 100"):
        ActionV1.model_validate_json(line.replace("80.0", "180.0"))
