"""Config errors: each invalid setting in turn stops brain-daemon with exit 78, naming the key and its origin.

Exit 78 (EX_CONFIG) is what ``RestartPreventExitStatus=78`` in the systemd unit
keys on: a configuration that is wrong stays wrong, so systemd must not restart
the daemon in a loop. The message must let an operator fix it without reading
code: the dotted key, and the file (or ``command line`` / ``environment``) the
value came from. Nothing may be written before the configuration is valid.

Each case is one daemon process (a fork of the launcher, see ``launcher.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from brain.estimator import EstimatorSettings
from tests.reliability.launcher import Launcher

THRESHOLDS = Path(EstimatorSettings.load().source)


@dataclass(frozen=True)
class Case:
    """One invalid setting: how it is given, and the key the message must name."""

    key: str | None
    toml: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    origin: str = "file"
    """``file`` (the config file's path must be named), ``command line`` or ``environment``."""


BAD_THRESHOLDS = THRESHOLDS.read_text().replace("gap_s = 900.0", "gap_s = -900.0", 1)
CASES = {
    "bad type": Case("poll_interval_s", 'poll_interval_s = "often"\n'),
    "out of range": Case("storage.batch_seconds", "[storage]\nbatch_seconds = 0\n"),
    "unknown key": Case("storage.fsync_policy", '[storage]\nfsync_policy = "always"\n'),
    "unknown section": Case("storag", '[storag]\nfsync = "always"\n'),
    "bad enum": Case("source", 'source = "telepathy"\n'),
    "bad enum in a section": Case("storage.fsync", '[storage]\nfsync = "sometimes"\n'),
    "bad time zone": Case("timezone", 'timezone = "Europe/Atlantis"\n'),
    "bad site name": Case("site_id", 'site_id = "green house"\n'),
    "naive start time": Case("simulation.start", "[simulation]\nstart = 2026-06-01T00:00:00\n"),
    "bad hardware pin": Case(
        "hardware.relays[0].pin", 'source = "hardware"\n[[hardware.relays]]\nname = "heater"\npin = 99\n'
    ),
    "unknown hardware driver": Case(
        "hardware.sensors[0].driver",
        'source = "hardware"\n[[hardware.sensors]]\nname = "air"\ndriver = "dht99"\npin = 4\n',
    ),
    "replay without a path": Case("replay.path", 'source = "replay"\n', origin="none"),
    "replay path that does not exist": Case(
        "replay.path", 'source = "replay"\n[replay]\npath = "/no/such/observations.jsonl"\n'
    ),
    "replay path that does not exist, given as a flag": Case(
        "replay.path", args=("--replay", "/no/such/observations.jsonl"), origin="command line"
    ),
    "bad malformed-line policy": Case("replay.on_malformed", '[replay]\non_malformed = "ignore"\n'),
    "thresholds file missing": Case(
        "estimator.thresholds_file", 'source = "synthetic"\n[estimator]\nthresholds_file = "/no/such.toml"\n'
    ),
    "bad value in the thresholds file": Case("timing.gap_s", origin="thresholds"),
    "unknown scenario": Case(
        "simulation.scenarios", 'source = "synthetic"\n[simulation]\nscenarios = ["volcano"]\n'
    ),
    "bad scenario parameter, given as a flag": Case(
        "simulation.scenarios",
        args=("--simulate", "--scenario", "spike:co2_ppm@3h,size=big"),
        origin="command line",
    ),
    "out of range, given as a flag": Case(
        "poll_interval_s", args=("--poll-interval", "-1"), origin="command line"
    ),
    "bad value in the environment": Case(
        "storage.batch_records", env={"BRAIN_STORAGE__BATCH_RECORDS": "many"}, origin="environment"
    ),
    "not TOML at all": Case(None, "site_id = \n"),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_invalid_setting_exits_78_naming_key_and_origin(
    tmp_path: Path, launcher: Launcher, case: Case
) -> None:
    data_root = tmp_path / "data"
    args = ["--output-dir", str(data_root), "--log-format", "json", *case.args]
    config = tmp_path / "brain.toml"
    if case.origin == "thresholds":
        thresholds = tmp_path / "thresholds.toml"
        thresholds.write_text(BAD_THRESHOLDS)
        case = Case(case.key, f'source = "synthetic"\n[estimator]\nthresholds_file = "{thresholds}"\n')
        expected_file = str(thresholds)
    else:
        expected_file = str(config)
    if case.toml is not None:
        config.write_text(case.toml)
        args += ["--config", str(config)]
    out, err = tmp_path / "out", tmp_path / "err"
    status = launcher.wait(launcher.start(args, out=out, err=err, env=case.env))
    message = err.read_text()
    assert status == 78, message
    assert message.count("\n") == 1 and "Traceback" not in message, "one clear line, not a traceback"
    if case.key is not None:
        assert case.key in message
    if case.origin == "file":
        assert expected_file in message
    elif case.origin in {"command line", "environment"}:
        assert case.origin in message
    assert not data_root.exists(), "nothing may be written before the configuration is valid"
    assert "daemon_started" not in out.read_text()
