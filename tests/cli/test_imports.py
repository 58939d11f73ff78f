"""Which modules each quick tool loads: the guard of ``brain status``'s start-up budget (issue 29).

``brain status`` runs every minute under a monitoring plugin, often on a Pi, where nearly all
of its time was importing: the record models (pydantic), brain.storage (writer and reader),
the estimator. It now reads lines as JSON (brain/report/lines.py) and must not load them
again, nor the daemon's command line, nor structlog; ``bench/status.py`` measures the cost.
``brain --help`` the same. ``brain config check`` validates the daemon's own settings, so it
loads pydantic and the parts that own a section by design; it must still not load the report's
charts or the uplink's MQTT client. (``brain uplink``'s guard is tests/uplink/test_process.py.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from tests.factories import T0, action_payload, device_status, observation
from tests.runs import clean_env

LISTED = (
    "import contextlib, io, json, sys\n"
    "from brain.cli import tools_main\n"
    "try:\n"
    "    with contextlib.redirect_stdout(io.StringIO()):\n"
    "        status = tools_main()\n"
    "except SystemExit as exc:\n"
    "    status = exc.code\n"
    "print(json.dumps({'status': status, 'modules': sorted(sys.modules)}))\n"
)
HEAVY_FOR_STATUS = (
    "pydantic",
    "pydantic_core",
    "pydantic_settings",
    "structlog",
    "brain.contracts",
    "brain.storage",
    "brain.estimator",
    "brain.config",
    "brain.daemon",
    "brain.sources",
    "brain.uplink",
    "brain.cli.brain_daemon",
    "matplotlib",
)
NEVER_FOR_CONFIG_CHECK = (
    "matplotlib",
    "paho",
    "brain.report",
    "brain.uplink.publisher",
    "brain.uplink.service",
)


def loaded(*args: str) -> tuple[int, list[str]]:
    """Run ``brain ARGS`` in a fresh process; its exit status and every module it had loaded."""
    result = subprocess.run(
        [sys.executable, "-c", LISTED, *args], capture_output=True, text=True, env=clean_env(), check=False
    )
    document = json.loads(result.stdout.splitlines()[-1])
    return document["status"], document["modules"]


def among(modules: list[str], packages: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in packages)]


@pytest.fixture
def small_root(tmp_path: Path) -> Path:
    """One observation, device status and action, a state-less day: enough for status to read every stream."""
    run = tmp_path / "data" / f"run_{T0:%Y%m%d}"
    run.mkdir(parents=True)
    (run / "observations.0000.jsonl").write_text(observation(T0).model_dump_json() + "\n")
    (run / "device_status.0000.jsonl").write_text(device_status(T0).model_dump_json() + "\n")
    (run / "actions.0000.jsonl").write_text(
        json.dumps(action_payload() | {"timestamp": T0.isoformat()}) + "\n"
    )
    return tmp_path / "data"


@pytest.mark.parametrize("form", ["text", "json"])
def test_brain_status_loads_no_record_model_storage_estimator_or_logging(small_root: Path, form: str) -> None:
    status, modules = loaded(
        "status", str(small_root), "--at", "2026-06-01T00:01:00Z", *(["--json"] * (form == "json"))
    )

    assert status == 0
    assert "brain.report.status" in modules and "brain.report.lines" in modules  # it did run
    assert "brain.advice" in modules  # the advice in force was judged
    assert among(modules, HEAVY_FOR_STATUS) == []


def test_brain_help_loads_none_of_them() -> None:
    status, modules = loaded("--help")

    assert status == 0
    assert among(modules, HEAVY_FOR_STATUS) == []


def test_brain_config_check_loads_neither_charts_nor_the_mqtt_client() -> None:
    status, modules = loaded("config", "check", str(PROJECT_ROOT / "config" / "brain.toml"))

    assert status == 0 and "brain.config" in modules
    assert among(modules, NEVER_FOR_CONFIG_CHECK) == []


DAEMON_LISTED = (
    "import json, sys\n"
    "from brain.cli import daemon_main\n"
    "try:\n"
    "    status = daemon_main()\n"
    "except SystemExit as exc:\n"
    "    status = exc.code\n"
    "print(json.dumps({'status': status, 'modules': sorted(sys.modules)}))\n"
)
NOT_FOR_A_SIMULATED_DAEMON = (
    "brain.uplink.cursor",  # the uplink's own parts: the daemon reads only [uplink]'s settings
    "brain.uplink.follow",
    "brain.uplink.lag",
    "brain.sources.csv",  # the CSV mapping models: only the import-csv hint of a replay names them
    "hardware",
    "matplotlib",
    "paho",
)


def test_a_simulated_daemon_loads_neither_the_uplinks_parts_nor_the_csv_import(tmp_path: Path) -> None:
    """Issue 29 (start to READY): what only other tools or modes need stays out of the daemon's start."""
    result = subprocess.run(
        [sys.executable, "-c", DAEMON_LISTED, "--simulate", "--duration-hours", "1", "--time-scale", "0",
         "--output-dir", str(tmp_path / "data"), "--log-format", "json"],
        capture_output=True, text=True, env=clean_env(), check=False,
    )  # fmt: skip
    document = json.loads(result.stdout.splitlines()[-1])

    assert document["status"] == 0, result.stderr[-2000:]
    assert "brain.daemon.main_loop" in document["modules"] and "brain.uplink.settings" in document["modules"]
    assert among(document["modules"], NOT_FOR_A_SIMULATED_DAEMON) == []
