"""Config and usage errors: a wrong setting or command stops brain-daemon before it runs, saying what to fix.

Exit 78 (EX_CONFIG) is a bad value in a file or a ``BRAIN_*`` variable; exit 2 is a bad
command line (a bad flag value, no source chosen, a flag of another mode). Both are in
``RestartPreventExitStatus=`` of the systemd unit: what is wrong stays wrong, so systemd
must not restart the daemon in a loop. The message must let an operator fix it without
reading code: the dotted key and the file or variable the value came from (or the flag),
on one line, never a traceback. Nothing may be written before the configuration is valid.

Every configuration case is also run through ``brain config check``, which must refuse
it the same way: it runs the daemon's own start-up checks.

Each case is one process (a fork of the launcher, see ``launcher.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from brain.estimator import EstimatorSettings
from tests.reliability.launcher import Launcher

THRESHOLDS = Path(EstimatorSettings.load().source)
LATIN_1 = "latin-1"


@dataclass(frozen=True)
class Case:
    """One invalid setting: how it is given, and the key the message must name."""

    key: str | None
    toml: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    origin: str = "file"
    """``file`` (the config file's path must be named), ``thresholds`` (the thresholds file's),
    ``environment`` (the variable's name) or ``none``."""
    encoding: str = "utf-8"
    output_dir: bool = True
    """Pass ``--output-dir``; without it the data root comes from the settings."""


BAD_THRESHOLDS = THRESHOLDS.read_text().replace("gap_s = 900.0", "gap_s = -900.0", 1)
NOT_UTF8_THRESHOLDS = "# Montréal greenhouse\n" + THRESHOLDS.read_text()
DEEP = "a = " + "[" * 100_000 + "]" * 100_000 + "\n"
CASES = {
    "bad type": Case("poll_interval_s", 'poll_interval_s = "often"\n'),
    "a number as text": Case("poll_interval_s", 'poll_interval_s = "30"\n'),
    "a boolean as a number": Case("storage.batch_records", "[storage]\nbatch_records = true\n"),
    "out of range": Case("storage.batch_seconds", "[storage]\nbatch_seconds = 0\n"),
    "a poll interval of 1e-7 s": Case("poll_interval_s", "poll_interval_s = 1e-7\n"),
    "a poll interval of 1e-300 s": Case("poll_interval_s", "poll_interval_s = 1e-300\n"),
    "an infinite time scale": Case("time_scale", "time_scale = inf\n"),
    "an empty data root": Case("data_root", 'data_root = ""\n', output_dir=False),
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
    "bad malformed-line policy": Case("replay.on_malformed", '[replay]\non_malformed = "ignore"\n'),
    "thresholds file missing": Case(
        "estimator.thresholds_file", 'source = "synthetic"\n[estimator]\nthresholds_file = "/no/such.toml"\n'
    ),
    "bad value in the thresholds file": Case("timing.gap_s", origin="thresholds"),
    "thresholds file not UTF-8": Case("estimator.thresholds_file", origin="thresholds", encoding=LATIN_1),
    "unknown scenario": Case(
        "simulation.scenarios", 'source = "synthetic"\n[simulation]\nscenarios = ["volcano"]\n'
    ),
    "misspelt scenario": Case(
        "simulation.scenarios", 'source = "synthetic"\n[simulation]\nscenarios = ["heatwav"]\n'
    ),
    "not TOML at all": Case(None, "site_id = \n"),
    "config file not UTF-8": Case(None, 'site_id = "x"  # Montréal\n', encoding=LATIN_1),
    "a 100,000-deep array": Case(None, DEEP),
    "bad value in the environment": Case(
        "storage.batch_records", env={"BRAIN_STORAGE__BATCH_RECORDS": "many"}, origin="environment"
    ),
    "a section variable that is not JSON": Case(
        "storage", env={"BRAIN_STORAGE": "garbage"}, origin="environment"
    ),
    "a list variable that is not JSON": Case(
        "devices", env={"BRAIN_DEVICES": "garbage"}, origin="environment"
    ),
    "a bad item of a list variable": Case(
        "devices[0]", env={"BRAIN_DEVICES": '["a b"]'}, origin="environment"
    ),
    "the hardware variable is not JSON": Case(
        "hardware", env={"BRAIN_HARDWARE": "junk"}, origin="environment"
    ),
    "a bad value in the hardware variable": Case(
        "hardware.read_timeout_s",
        args=("--simulate",),
        env={"BRAIN_HARDWARE": '{"read_timeout_s": -1}'},
        origin="environment",
    ),
    "an unknown driver in the hardware variable": Case(
        "hardware.sensors[0].driver",
        args=("--simulate",),
        env={"BRAIN_HARDWARE": '{"sensors": [{"driver": "dht99", "pin": 4}]}'},
        origin="environment",
    ),
    "the hardware variable nested 100,000 deep": Case(
        "hardware", env={"BRAIN_HARDWARE": "[" * 100_000}, origin="environment"
    ),
    "a scenario variable that is not JSON": Case(
        "simulation.scenarios", env={"BRAIN_SIMULATION__SCENARIOS": "heatwave"}, origin="environment"
    ),
    "a base cycle of 1e-300 s": Case(
        "base_cycle_s", env={"BRAIN_BASE_CYCLE_S": "1e-300"}, origin="environment"
    ),
    "a time scale that is not a number": Case(
        "time_scale", env={"BRAIN_TIME_SCALE": "nan"}, origin="environment"
    ),
    "an infinite time scale from the environment": Case(
        "time_scale", env={"BRAIN_TIME_SCALE": "inf"}, origin="environment"
    ),
    "an empty data root from the environment": Case(
        "data_root", env={"BRAIN_DATA_ROOT": ""}, origin="environment", output_dir=False
    ),
    "an empty BRAIN_CONFIG": Case(None, env={"BRAIN_CONFIG": ""}, origin="environment"),
}


def _messages(
    tmp_path: Path, launcher: Launcher, argv: list[str], env: dict[str, str], program: str
) -> tuple[int, str, str]:
    out, err = tmp_path / f"{program}.out", tmp_path / f"{program}.err"
    status = launcher.wait(launcher.start(argv, out=out, err=err, env=env, program=program, cwd=tmp_path))
    return status, out.read_text(), err.read_text()


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_invalid_setting_exits_78_naming_key_and_origin(
    tmp_path: Path, launcher: Launcher, case: Case
) -> None:
    data_root = tmp_path / "data"
    args = ["--output-dir", str(data_root)] if case.output_dir else []
    args += ["--log-format", "json", *case.args]
    config = tmp_path / "brain.toml"
    expected_file = str(config)
    if case.origin == "thresholds":
        thresholds = tmp_path / "thresholds.toml"
        thresholds.write_text(
            BAD_THRESHOLDS if case.encoding == "utf-8" else NOT_UTF8_THRESHOLDS, case.encoding
        )
        case = Case(case.key, f'source = "synthetic"\n[estimator]\nthresholds_file = "{thresholds}"\n')
        expected_file = str(thresholds)
    config.write_text(case.toml if case.toml is not None else "", encoding=case.encoding)
    if case.toml is not None:
        args += ["--config", str(config)]
    status, out, message = _messages(tmp_path, launcher, args, case.env, "brain-daemon")
    assert status == 78, message
    assert message.count("\n") == 1 and "Traceback" not in message, "one clear line, not a traceback"
    if case.key is not None:
        assert case.key in message
    if case.origin == "file":
        assert expected_file in message
    elif case.origin == "environment":
        (variable,) = case.env
        assert f"from environment {variable}" in message
        assert "from unknown" not in message and "from settings" not in message
    assert "daemon_started" not in out
    assert not data_root.exists() and not list(tmp_path.glob("run_*")), (
        "nothing written before a valid config"
    )
    if "BRAIN_CONFIG" in case.env:
        return  # `brain config check FILE` is given its file; it never reads BRAIN_CONFIG
    # brain config check runs the daemon's start-up checks: it refuses the same file and environment.
    status, _, checked = _messages(tmp_path, launcher, ["config", "check", str(config)], case.env, "brain")
    assert status == 78, checked
    assert "Traceback" not in checked
    if case.key is not None:
        assert case.key in checked
    if case.origin != "none":
        assert (next(iter(case.env)) if case.origin == "environment" else expected_file) in checked


@dataclass(frozen=True)
class Usage:
    """A command line that cannot run: the exit status it must get and what the message must say."""

    args: tuple[str, ...]
    says: str
    toml: str | None = None
    status: int = 2


USAGE = {
    "no source chosen": Usage((), "pass --simulate, --replay PATH or --hardware"),
    "simulation flags without --simulate": Usage(
        ("--scenario", "heatwave", "--duration-hours", "2"), "--scenario needs --simulate"
    ),
    "a seed in hardware mode": Usage(("--hardware", "--seed", "3"), "--seed needs --simulate"),
    "a start in replay mode": Usage(
        ("--replay", "x.jsonl", "--start", "2026-06-01T00:00:00+00:00"), "--start needs --simulate"
    ),
    "a time scale in hardware mode": Usage(
        ("--hardware", "--time-scale", "0"), "--time-scale needs --simulate or --replay"
    ),
    "a scenario with hardware chosen in the file": Usage(
        ("--scenario", "heatwave"), "the source is hardware (from", toml='source = "hardware"\n'
    ),
    "two sources": Usage(("--simulate", "--hardware"), "not allowed with argument"),
    "an out-of-range flag": Usage(("--simulate", "--poll-interval", "-1"), "argument --poll-interval"),
    "a sub-second poll interval flag": Usage(
        ("--simulate", "--poll-interval", "1e-7"), "argument --poll-interval"
    ),
    "an infinite time scale flag": Usage(("--simulate", "--time-scale", "inf"), "argument --time-scale"),
    "a time scale flag that is not a number": Usage(
        ("--simulate", "--time-scale", "nan"), "argument --time-scale"
    ),
    "an empty output folder": Usage(
        ("--simulate", "--output-dir", ""), "argument --output-dir/--data-root: must not be empty"
    ),
    "a bad time zone flag": Usage(("--simulate", "--timezone", "Mars/Olympus"), "argument --timezone"),
    "a bad scenario parameter flag": Usage(
        ("--simulate", "--scenario", "spike:co2_ppm@3h,size=big"), "argument --scenario"
    ),
    "a replay path that does not exist": Usage(
        ("--replay", "/no/such/observations.jsonl"), "argument --replay"
    ),
    "a seed that is not a number": Usage(("--simulate", "--seed", "seven"), "argument --seed"),
    "scenario list is scenario help": Usage(("--scenario", "list"), "Scenarios: --scenario NAME", status=0),
}


@pytest.mark.parametrize("case", USAGE.values(), ids=USAGE.keys())
def test_a_wrong_command_line_is_a_usage_error_saying_what_to_pass(
    tmp_path: Path, launcher: Launcher, case: Usage
) -> None:
    args = [*case.args]
    if case.toml is not None:
        config = tmp_path / "brain.toml"
        config.write_text(case.toml)
        args += ["--config", str(config)]
    status, out, err = _messages(tmp_path, launcher, args, {}, "brain-daemon")
    assert status == case.status, err
    assert case.says in (out if case.status == 0 else err)
    assert "Traceback" not in err and "daemon_started" not in out
    assert not (tmp_path / "data").exists() and not list(tmp_path.rglob("run_*")), "nothing written"
