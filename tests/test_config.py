"""brain.config: loading, precedence, origins; each section is the model its package owns."""

from pathlib import Path

import pytest

from brain.config import BrainSettings, describe, load_settings
from brain.docstrings import attribute_docstrings
from brain.errors import ConfigError
from brain.estimator.settings import EstimatorSection
from brain.logging import LoggingSettings
from brain.sources.replay import ReplaySettings
from brain.sources.synthetic.settings import SimulationSettings
from brain.storage.settings import StorageSettings
from brain.uplink.settings import UplinkSettings


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "brain.toml"
    path.write_text(text)
    return path


def test_defaults_without_file() -> None:
    loaded = load_settings()
    assert loaded.settings.source is None  # never guessed: the daemon asks for one (tests/reliability)
    assert loaded.settings.poll_interval_s == 60.0
    assert loaded.origins["storage.fsync"] == "default"


def test_precedence_flags_over_env_over_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, 'site_id = "file-site"\npoll_interval_s = 30\n[storage]\nfsync = "never"\n')
    monkeypatch.setenv("BRAIN_POLL_INTERVAL_S", "20")
    monkeypatch.setenv("BRAIN_STORAGE__FSYNC", "always")
    loaded = load_settings(path, {"poll_interval_s": 10.0})
    s = loaded.settings
    assert (s.site_id, s.poll_interval_s, s.storage.fsync) == ("file-site", 10.0, "always")
    assert loaded.origins["site_id"] == str(path)
    assert loaded.origins["storage.fsync"] == "environment BRAIN_STORAGE__FSYNC"
    assert loaded.origins["poll_interval_s"] == "command line"
    shown = describe(loaded)
    assert f"site_id = 'file-site'  # {path}" in shown
    assert "storage.fsync = 'always'  # environment BRAIN_STORAGE__FSYNC" in shown


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[storage]\nfsync = "sometimes"\n', "storage.fsync"),
        ("poll_interval_s = -5\n", "poll_interval_s"),
        ('timezone = "Mars/Olympus"\n', "timezone"),
        ("[storag]\nfsync = 'always'\n", "storag"),
        ('site_id = "has space"\n', "site_id"),
        ("[storage]\nbatch_records = 0\n", "storage.batch_records"),
    ],
)
def test_bad_value_names_key_and_file(tmp_path: Path, text: str, key: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert err.value.key == key
    assert err.value.file == str(path)
    assert key in str(err.value) and str(path) in str(err.value)


def test_bad_environment_value_is_blamed_on_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAIN_STORAGE__BATCH_RECORDS", "many")
    with pytest.raises(
        ConfigError, match=r"storage\.batch_records.*environment BRAIN_STORAGE__BATCH_RECORDS"
    ):
        load_settings()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[storage]\nbatch_records = true\n", "storage.batch_records"),
        ('poll_interval_s = "30"\n', "poll_interval_s"),
        ("[simulation]\nseed = 4.5\n", "simulation.seed"),
        ("[storage]\nbatch_seconds = nan\n", "storage.batch_seconds"),
        ("time_scale = inf\n", "time_scale"),
        ("poll_interval_s = 1e-7\n", "poll_interval_s"),
        ("base_cycle_s = 0.05\n", "base_cycle_s"),
        ('data_root = ""\n', "data_root"),
        ('[replay]\npath = ""\n', "replay.path"),
    ],
)
def test_no_silent_coercion_and_sane_bounds_in_a_file(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(_write(tmp_path, text))
    assert err.value.key == key


def test_environment_text_becomes_the_number_its_key_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAIN_POLL_INTERVAL_S", "30")
    monkeypatch.setenv("BRAIN_STORAGE__BATCH_RECORDS", "500")
    settings = load_settings().settings
    assert (settings.poll_interval_s, settings.storage.batch_records) == (30.0, 500)


def test_a_section_in_json_is_overridden_by_the_variable_of_one_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAIN_STORAGE", '{"fsync": "never", "batch_records": 5}')
    monkeypatch.setenv("BRAIN_STORAGE__FSYNC", "always")
    monkeypatch.setenv("BRAIN_SIMULATION__SCENARIOS", '["heatwave"]')
    loaded = load_settings()
    assert (loaded.settings.storage.fsync, loaded.settings.storage.batch_records) == ("always", 5)
    assert loaded.settings.simulation.scenarios == ["heatwave"]
    assert loaded.origin_of("storage.batch_records") == "environment BRAIN_STORAGE"
    assert loaded.origin_of("storage.fsync") == "environment BRAIN_STORAGE__FSYNC"


@pytest.mark.parametrize(
    ("variable", "value", "key"),
    [
        ("BRAIN_STORAGE", "garbage", "storage"),
        ("BRAIN_DEVICES", "garbage", "devices"),
        ("BRAIN_DEVICES", '["a b"]', "devices[0]"),
        ("BRAIN_HARDWARE", "junk", "hardware"),
        ("BRAIN_HARDWARE", "[" * 100_000, "hardware"),
        ("BRAIN_SIMULATION__SCENARIOS", "heatwave", "simulation.scenarios"),
        ("BRAIN_STORAGE__NOPE", "1", "storage.nope"),
        ("BRAIN_TIME_SCALE", "nan", "time_scale"),
        ("BRAIN_DATA_ROOT", "", "data_root"),
    ],
)
def test_a_bad_variable_is_named_never_unknown(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, key: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert (err.value.key, err.value.origin) == (key, f"environment {variable}")
    assert f"from environment {variable}" in str(err.value)


def test_a_path_is_a_str_or_a_path(tmp_path: Path) -> None:
    path = _write(tmp_path, 'site_id = "by-str"\n')
    assert load_settings(str(path)).settings.site_id == "by-str"
    assert load_settings(path).config_file == path


def test_unreadable_or_invalid_toml_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "absent.toml")
    path = _write(tmp_path, "site_id = \n")
    with pytest.raises(ConfigError, match="not valid TOML") as err:
        load_settings(path)
    assert err.value.file == str(path)


def test_shipped_config_files_are_valid(project_root: Path) -> None:
    for name in ("brain.toml", "simulate.toml"):
        path = project_root / "config" / name
        if path.exists():
            assert isinstance(load_settings(path).settings, BrainSettings)


def test_every_setting_is_described() -> None:
    def walk(model: type) -> list[str]:
        missing = []
        docs = attribute_docstrings(model)
        for name, info in model.model_fields.items():
            if not docs.get(name):
                missing.append(f"{model.__name__}.{name}")
            annotation = info.annotation
            if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
                missing += walk(annotation)
        return missing

    assert walk(BrainSettings) == []


def test_every_setting_is_in_the_configuration_doc(project_root: Path) -> None:
    doc = (project_root / "docs" / "configuration.md").read_text()
    keys = [k for k in load_settings().origins if k != "hardware"] + ["hardware"]
    missing = [k for k in keys if f"| `{k}` |" not in doc]
    assert missing == []


# Each package owns its settings section; brain.config only composes them (that nothing below
# imports brain.config is the layers contract of tests/test_architecture.py).
def test_every_section_is_the_model_its_package_owns() -> None:
    sections = {name: info.annotation for name, info in BrainSettings.model_fields.items()}
    assert sections["storage"] is StorageSettings
    assert sections["simulation"] is SimulationSettings
    assert sections["replay"] is ReplaySettings
    assert sections["estimator"] is EstimatorSection
    assert sections["logging"] is LoggingSettings
    assert sections["uplink"] is UplinkSettings
