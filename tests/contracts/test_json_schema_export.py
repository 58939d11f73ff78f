import json
from pathlib import Path

from brain.cli import tools_main
from brain.contracts import STREAMS
from brain.contracts.schemas import schema_documents
from tests.conftest import PROJECT_ROOT


def test_all_contracts_export_json_schema(tmp_path: Path) -> None:
    assert tools_main(["schemas", "--out", str(tmp_path)]) == 0
    written = {p.name for p in tmp_path.iterdir()}
    assert written == {f"{m.__name__}.schema.json" for m in STREAMS.values()}
    for model in STREAMS.values():
        schema = json.loads((tmp_path / f"{model.__name__}.schema.json").read_text())
        assert schema["title"] == model.__name__
        assert "schema_version" in schema["required"]
        assert schema["additionalProperties"] is False
        version = schema["properties"]["schema_version"]
        # AnomalyV1 1.1 since issue 18 and 1.2 since issue 28; observations, device status and actions
        # 1.1 since issue 27; StateV1 1.1 since issue 28 (the daily figures). 1.0 logs stay readable.
        if model.__name__ == "AnomalyV1":
            assert version["enum"] == ["1.0", "1.1", "1.2"]
        elif model.__name__ in {"StateV1", "ObservationV1", "DeviceStatusV1", "ActionV1"}:
            assert version["enum"] == ["1.0", "1.1"]
        else:
            assert version["const"] == "1.0"


def test_checked_in_schemas_match_the_code() -> None:
    checked_in = PROJECT_ROOT / "docs" / "schemas"
    for name, text in schema_documents().items():
        path = checked_in / name
        assert path.exists(), f"{path} missing: run `make schemas`"
        assert path.read_text() == text, f"{path} is stale: run `make schemas`"
