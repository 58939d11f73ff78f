"""``brain uplink`` from a laptop: a data-root argument, ``--host``/``--port``, a one-off run that gives up.

Real processes against a real Mosquitto (or against nothing at all, for the give-up cases).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.runs import DAEMON, clean_env
from tests.uplink.broker import Broker, free_port, require_mosquitto
from tests.uplink.test_process import events_until, fill

TOOLS = "import sys; from brain.cli import tools_main; sys.exit(tools_main())"


def uplink(*args: str, log_json: bool = True) -> subprocess.Popen[str]:
    env = clean_env(BRAIN_LOGGING__FORMAT="json") if log_json else clean_env()
    return subprocess.Popen(
        [sys.executable, "-c", TOOLS, "uplink", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = process.communicate(timeout=60)
    return process.returncode, err


def delivered(data_root: Path, stream: str = "observations") -> int:
    cursor = json.loads((data_root / "uplink" / f"mqtt.{stream}.cursor.json").read_text())
    seq: int = cursor["next_seq"]
    return seq


def test_a_data_root_argument_and_broker_flags_need_no_configuration_file(
    data_root: Path, broker: Broker
) -> None:
    fill(data_root, 12)
    code, err = finish(
        uplink(str(data_root), "--host", "127.0.0.1", "--port", str(broker.port), "--exit-when-drained")
    )
    assert code == 0, err
    assert delivered(data_root) == 12


def test_the_flags_override_the_configuration(tmp_path: Path, data_root: Path, broker: Broker) -> None:
    fill(data_root, 4)
    config = tmp_path / "brain.toml"
    config.write_text(
        f'data_root = "{tmp_path / "elsewhere"}"\n[uplink]\nhost = "no-such-broker.invalid"\nport = 1\n'
    )
    process = uplink(
        "--config",
        str(config),
        str(data_root),
        "--host",
        "127.0.0.1",
        "--port",
        str(broker.port),
        "--exit-when-drained",
    )
    code, err = finish(process)
    assert code == 0, err
    assert delivered(data_root) == 4 and not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize(
    ("host", "reason"),
    [("127.0.0.1", "Connection refused"), ("no-such-broker.invalid", "cannot connect")],
)
def test_exit_when_drained_gives_up_with_69_when_no_broker_can_be_reached(
    data_root: Path, host: str, reason: str
) -> None:
    fill(data_root, 3)
    port = str(free_port())  # nothing listens there
    process = uplink(
        str(data_root), "--host", host, "--port", port, "--exit-when-drained", "--give-up-after", "1"
    )
    code, err = finish(process)
    assert code == 69, err
    assert "gave up after 1 s without a broker" in err and reason in err


def test_exit_when_drained_gives_up_with_69_when_the_login_is_refused(
    tmp_path: Path, data_root: Path
) -> None:
    require_mosquitto()
    passwords = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(passwords), "brain", "right-one"], check=True)
    broker = Broker(tmp_path / "broker", extra=f"allow_anonymous false\npassword_file {passwords}")
    try:
        fill(data_root, 3)
        secret = tmp_path / "secret"
        secret.write_text("wrong-one\n")
        config = tmp_path / "brain.toml"
        config.write_text(f'[uplink]\nusername = "brain"\npassword_file = "{secret}"\n')
        process = uplink(
            "--config",
            str(config),
            str(data_root),
            "--host",
            "127.0.0.1",
            "--port",
            str(broker.port),
            "--exit-when-drained",
            "--give-up-after",
            "1",
        )
        code, err = finish(process)
    finally:
        broker.stop()
    assert code == 69, err
    assert "refused the connection" in err and "wrong-one" not in err


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_while_retrying_is_not_exit_0_when_asked_to_drain(
    data_root: Path, stop_signal: signal.Signals
) -> None:
    fill(data_root, 3)
    process = uplink(str(data_root), "--host", "127.0.0.1", "--port", str(free_port()), "--exit-when-drained")
    events_until(process, "uplink_connect_failed")
    process.send_signal(stop_signal)
    code, err = finish(process)
    assert code == 69, err
    assert "stopped before everything on disk was delivered" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "--port"),
        (["--port", "x"], "invalid int value"),
        (["--host", ""], "--host"),
        (["--give-up-after", "5"], "needs --exit-when-drained"),
        (["--exit-when-drained", "--give-up-after", "0"], "more than 0"),
    ],
)
def test_a_bad_flag_is_a_usage_error(data_root: Path, args: list[str], message: str) -> None:
    code, err = finish(uplink(str(data_root), *args))
    assert code == 2, err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize(("start", "hours_back"), [("now", 0), ("now-24h", 24), ("NOW-1.5h", 1.5)])
def test_simulate_start_now_stamps_records_from_the_current_minute(
    tmp_path: Path, start: str, hours_back: float
) -> None:
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    out = tmp_path / "now"
    made = subprocess.run(
        [
            sys.executable,
            *DAEMON,
            "--simulate",
            "--start",
            start,
            "--duration-hours",
            "0.1",
            "--output-dir",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=False,
    )
    after = datetime.now(UTC)
    assert made.returncode == 0, made.stderr
    [first_line, *_] = sorted(out.glob("run_*/observations.0000.jsonl"))[0].read_text().splitlines()
    first = datetime.fromisoformat(json.loads(first_line)["timestamp"]) + timedelta(hours=hours_back)
    assert before <= first <= after and first.second == 0
