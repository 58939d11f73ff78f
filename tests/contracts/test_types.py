from pathlib import Path

import pytest

from brain.contracts import check_site_id
from brain.errors import ConfigError
from brain.sources.csv.importer import import_csv
from brain.sources.csv.mapping import load_mapping


@pytest.mark.parametrize("name", ["greenhouse-1", "gh_2.north", "A"])
def test_a_valid_site_id_is_returned(name: str) -> None:
    assert check_site_id(name) == name


@pytest.mark.parametrize("name", ["", "green house", "-leading-dash", "x" * 65, "serre/1"])
def test_an_invalid_site_id_is_a_config_error_on_site_id(name: str) -> None:
    with pytest.raises(ConfigError) as raised:
        check_site_id(name)
    assert raised.value.key == "site_id"
    assert f"site id {name!r} is not a valid name" in str(raised.value)


def test_the_csv_import_refuses_a_bad_site_id_before_writing(tmp_path: Path) -> None:
    source = tmp_path / "log.csv"
    source.write_text("time,temp\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    with pytest.raises(ConfigError) as raised:
        import_csv(source, load_mapping("osu2024"), output, site_id="green house")
    assert raised.value.key == "site_id"
    assert not output.exists()
