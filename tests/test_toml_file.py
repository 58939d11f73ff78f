from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from brain.config import load_settings
from brain.errors import ConfigError
from brain.estimator import EstimatorSettings
from brain.sources.csv.mapping import load_mapping
from brain.toml_file import parse_toml, read_toml


def test_a_good_file_is_read_into_a_dict(tmp_path: Path) -> None:
    path = tmp_path / "good.toml"
    path.write_text('site_id = "gh"\n[storage]\nfsync = "always"\n', encoding="utf-8")
    assert read_toml(path, what="configuration file") == {"site_id": "gh", "storage": {"fsync": "always"}}


def test_every_failure_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    absent = tmp_path / "absent.toml"
    with pytest.raises(ConfigError) as raised:
        read_toml(absent, what="mapping")
    assert str(raised.value) == f"mapping not found (file={absent})"

    with pytest.raises(ConfigError, match="cannot read mapping: Is a directory") as raised:
        read_toml(tmp_path, what="mapping")
    assert raised.value.file == str(tmp_path)

    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('site = "Ménage"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="mapping is not UTF-8 text") as raised:
        read_toml(latin1, what="mapping", origin="shown.toml")
    assert raised.value.file == "shown.toml"

    with pytest.raises(ConfigError, match=r"thresholds file is not valid TOML: .*line 2") as raised:
        parse_toml("a = 1\nb = \n", what="thresholds file", origin="t.toml")
    assert (raised.value.file, raised.value.key) == ("t.toml", None)


def _config(path: Path) -> Any:
    return load_settings(path)


def _mapping(path: Path) -> Any:
    return load_mapping(str(path))


@pytest.mark.parametrize(
    ("load", "what"),
    [(_config, "configuration file"), (EstimatorSettings.load, "thresholds file"), (_mapping, "mapping")],
)
def test_the_three_toml_readers_report_alike(tmp_path: Path, load: Callable[[Path], Any], what: str) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("key = [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"^{what} is not valid TOML: ") as raised:
        load(broken)
    assert raised.value.file == str(broken)
    with pytest.raises(ConfigError, match=f"^{what} not found") as raised:
        load(tmp_path / "absent.toml")
    assert raised.value.file == str(tmp_path / "absent.toml")
