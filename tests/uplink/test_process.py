"""``brain uplink`` as a process: bad input is a clear error or a retry, never a crash loop or a skip."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from brain.storage import DatasetWriter, FsyncPolicy, StorageSettings
from tests.conftest import PROJECT_ROOT
from tests.factories import minutes, record
from tests.runs import clean_env
from tests.uplink.broker import Broker, Subscriber, free_port, require_mosquitto

TOOLS = "import sys; from brain.cli import tools_main; sys.exit(tools_main())"
NO_PAHO = "import sys; sys.modules['paho'] = None; from brain.cli import tools_main; sys.exit(tools_main())"


def config(tmp_path: Path, data_root: Path, port: int, extra: str = "") -> Path:
    path = tmp_path / "brain.toml"
    path.write_text(
        f'data_root = "{data_root}"\n[logging]\nformat = "json"\n'
        f'[uplink]\nhost = "127.0.0.1"\nport = {port}\n{extra}'
    )
    return path


def start(cfg: Path, *args: str, code: str = TOOLS) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, "uplink", "--config", str(cfg), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )


def events_until(
    process: subprocess.Popen[str], event: str, count: int = 1, timeout: float = 30
) -> list[dict[str, Any]]:
    """Read JSON log lines until ``count`` lines of ``event`` were seen; return every line read."""
    assert process.stdout is not None
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith("{"):
            seen.append(json.loads(line))
            if sum(e["event"] == event for e in seen) >= count:
                return seen
    raise AssertionError(f"{event} x{count} not logged; saw {[e['event'] for e in seen]}")


def stop(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    return process.returncode, out, err


def fill(data_root: Path, count: int = 30) -> None:
    writer = DatasetWriter(data_root, StorageSettings(fsync=FsyncPolicy.NEVER))
    for moment in minutes(count):
        writer.write("observations", record("observations", moment))
    writer.close()


def test_a_refused_login_is_logged_and_retried_without_ending_the_process(
    tmp_path: Path, data_root: Path
) -> None:
    require_mosquitto()  # mosquitto_passwd comes with it
    passwords = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(passwords), "brain", "right-one"], check=True)
    broker = Broker(tmp_path / "broker", extra=f"allow_anonymous false\npassword_file {passwords}")
    try:
        fill(data_root)
        secret = tmp_path / "secret"
        secret.write_text("wrong-one\n")
        cfg = config(tmp_path, data_root, broker.port, f'username = "brain"\npassword_file = "{secret}"\n')
        process = start(cfg)
        events = events_until(process, "uplink_connect_failed", count=2)
        failures = [e for e in events if e["event"] == "uplink_connect_failed"]
        assert all(e["refused"] and "refused the connection" in e["reason"] for e in failures)
        assert process.poll() is None  # still there: a fixed broker is used again without a restart
        code, out, err = stop(process)
        assert code == 0
        assert "wrong-one" not in out + err
        assert not (data_root / "uplink" / "mqtt.observations.cursor.json").exists() or (
            json.loads((data_root / "uplink" / "mqtt.observations.cursor.json").read_text())["next_seq"] == 0
        )
        secret.write_text("right-one\n")
        drained = start(cfg, "--exit-when-drained")
        assert drained.wait(timeout=60) == 0
        cursor = json.loads((data_root / "uplink" / "mqtt.observations.cursor.json").read_text())
        assert cursor["next_seq"] == 30
    finally:
        broker.stop()


def _self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: cannot make a certificate for the TLS test")
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_an_untrusted_certificate_is_a_clear_error_and_the_right_one_connects(
    tmp_path: Path, data_root: Path
) -> None:
    server_cert, server_key = _self_signed(tmp_path, "server")
    other_cert, _ = _self_signed(tmp_path, "other")
    broker = Broker(
        tmp_path / "broker", extra=f"allow_anonymous true\ncertfile {server_cert}\nkeyfile {server_key}"
    )
    try:
        fill(data_root, 5)
        wrong = config(tmp_path, data_root, broker.port, f'tls = true\nca_file = "{other_cert}"\n')
        process = start(wrong)
        events = events_until(process, "uplink_connect_failed")
        [failure] = [e for e in events if e["event"] == "uplink_connect_failed"]
        assert failure["refused"] and "not trusted" in failure["reason"] and "ca_file" in failure["reason"]
        assert stop(process)[0] == 0
        right = config(tmp_path, data_root, broker.port, f'tls = true\nca_file = "{server_cert}"\n')
        subscriber_seen = start(right, "--exit-when-drained")
        assert subscriber_seen.wait(timeout=60) == 0
        cursor = json.loads((data_root / "uplink" / "mqtt.observations.cursor.json").read_text())
        assert cursor["next_seq"] == 5
    finally:
        broker.stop()


def test_a_missing_ca_file_stops_at_start_with_exit_78(tmp_path: Path, data_root: Path) -> None:
    cfg = config(tmp_path, data_root, 1883, f'tls = true\nca_file = "{tmp_path / "absent.pem"}"\n')
    result = start(cfg)
    _, err = result.communicate(timeout=60)
    assert result.returncode == 78
    assert "TLS files" in err and "Traceback" not in err


def test_a_wildcard_topic_prefix_stops_at_start_with_exit_78(tmp_path: Path, data_root: Path) -> None:
    cfg = config(tmp_path, data_root, 1883, 'topic_prefix = "brain/#"\n')
    result = start(cfg)
    _, err = result.communicate(timeout=60)
    assert result.returncode == 78
    assert "uplink.topic_prefix" in err and "wildcard" in err and "Traceback" not in err


def test_without_paho_the_uplink_says_how_to_install_it(tmp_path: Path, data_root: Path) -> None:
    result = start(config(tmp_path, data_root, 1883), code=NO_PAHO)
    _, err = result.communicate(timeout=60)
    assert result.returncode == 69
    assert f"-m pip install '{PROJECT_ROOT}[uplink]'" in err  # the checkout this brain came from


def test_a_killed_uplink_shows_offline_through_its_last_will(
    tmp_path: Path, data_root: Path, broker: Broker
) -> None:
    fill(data_root, 3)
    process = start(config(tmp_path, data_root, broker.port))
    events_until(process, "uplink_connected")
    watcher = Subscriber(broker.port, ["brain/+/uplink/availability"], client_id="watcher")
    try:
        watcher.wait_for(lambda: watcher.messages and watcher.messages[-1].payload == b"online")
        process.kill()
        process.communicate(timeout=30)
        watcher.wait_for(lambda: watcher.messages[-1].payload == b"offline")
    finally:
        watcher.close()
    late = Subscriber(broker.port, ["brain/+/uplink/availability"], client_id="late")
    try:
        late.wait_for(lambda: late.messages)
        assert (late.messages[-1].payload, late.messages[-1].retain) == (b"offline", True)
    finally:
        late.close()


# What `brain uplink` must not load: its 40 MB memory budget (docs/performance.md) was missed by
# these imports, not by its own work. The record models (brain.contracts) and brain.storage (writer,
# reader) come with pydantic models by the dozen, brain.config with every settings section and the
# packages that own them (estimator, sources), pydantic-settings with its providers.
HEAVY_FOR_THE_UPLINK = (
    "brain.contracts",
    "brain.storage",
    "brain.config",
    "brain.estimator",
    "brain.sources",
    "brain.report",
    "brain.daemon",
    "pydantic_settings",
)
LOADED = (
    "import json, sys\n"
    "from brain.cli import tools_main\n"
    "status = tools_main()\n"
    "print('MODULES ' + json.dumps(sorted(sys.modules)))\n"
    "sys.exit(status)\n"
)


def test_brain_uplink_does_not_load_the_record_models_storage_or_the_whole_configuration(
    tmp_path: Path, data_root: Path, broker: Broker
) -> None:
    writer = DatasetWriter(data_root, StorageSettings(fsync=FsyncPolicy.NEVER))
    for moment in minutes(5):
        for stream in ("observations", "state", "sensor_health", "anomalies", "device_status"):
            writer.write(stream, record(stream, moment))
    writer.close()
    cfg = config(
        tmp_path, data_root, broker.port, '[uplink.alerts]\nwebhook_url = "http://127.0.0.1:9/hook"\n'
    )
    process = start(cfg, "--exit-when-drained", code=LOADED)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    delivered = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert any(e["event"] == "uplink_stopped" and e["delivered"]["anomalies"] == 5 for e in delivered)
    [listed] = [line for line in out.splitlines() if line.startswith("MODULES ")]
    modules = json.loads(listed.removeprefix("MODULES "))
    assert "brain.uplink.service" in modules and "brain.uplink.alerts" in modules  # it did run
    heavy = [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY_FOR_THE_UPLINK)]
    assert heavy == []


def test_sigterm_stops_it_at_any_moment_of_a_retry_loop(tmp_path: Path) -> None:
    """SIGTERM at a spread of moments while it retries a port nobody listens on: exit 0 each time, promptly.

    Why many: ``Event.set`` from a Python signal handler deadlocks when the signal lands while
    the main thread holds the event's lock inside ``Event.wait`` (the retry's back-off), a
    window of microseconds; a CI run once hit it. Twelve processes stopped at staggered
    moments make such a window likely to be hit if it is there again.
    """
    port = free_port()  # nobody listens there: every connect is refused
    processes = []
    for i in range(12):
        folder = tmp_path / str(i)
        folder.mkdir()
        processes.append(start(config(folder, folder / "data", port)))
    for process in processes:
        events_until(process, "uplink_connect_failed")  # in the retry loop: past start-up
    for i, process in enumerate(processes):
        time.sleep(0.11 * (i % 4))  # staggered across the back-off's waits and attempts
        process.send_signal(signal.SIGTERM)
    for process in processes:
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err[-2000:]
