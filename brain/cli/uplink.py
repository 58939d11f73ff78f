"""``brain uplink``: publish the data root to an MQTT broker, Home Assistant and alert channels.

(The uplink itself is :mod:`brain.uplink`; this module is only the command line.)
It loads only the settings the uplink reads
(:func:`brain.uplink.settings.load_uplink_settings`, not the whole
:mod:`brain.config`) and imports nothing that builds the record models: the
uplink's memory budget (docs/performance.md); ``tests/uplink/test_process.py``
checks which modules it loads.
Exit statuses: 0 after SIGTERM/SIGINT (or, with ``--exit-when-drained``, once
everything is delivered), 78 for a configuration that cannot work (bad
settings, paho-mqtt missing, an unreadable password file or CA file): systemd
does not restart it in a loop (``RestartPreventExitStatus=78``). A broker that
is down or refuses the login is not an exit: it is logged and retried.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from brain.cli.settings_loader import config_path
from brain.exit_codes import ExitCode

if TYPE_CHECKING:
    from brain.uplink.settings import AlertSettings, UplinkProcessSettings


def add_uplink(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``brain uplink``."""
    parser = sub.add_parser(
        "uplink",
        help="publish records to an MQTT broker (history, Home Assistant, alerts)",
        description="Follow the data root and publish every record to the [uplink] broker; docs/fleet.md.",
    )
    parser.add_argument(
        "--config", type=Path, default=None, help="TOML file (default: none, or $BRAIN_CONFIG)"
    )
    parser.add_argument(
        "--exit-when-drained",
        action="store_true",
        help="exit 0 once every record on disk is acknowledged (benchmarks, one-off catch-up)",
    )
    parser.set_defaults(run=run_uplink)


def _fail(message: str) -> int:
    print(f"brain uplink: {message}", file=sys.stderr)
    return ExitCode.CONFIG


def run_uplink(args: argparse.Namespace) -> int:
    """Load the settings, check what can be checked before connecting, then run until stopped."""
    from brain.errors import ConfigError
    from brain.logging import configure_logging
    from brain.uplink.publisher import UplinkError, read_password, require_paho, tls_context
    from brain.uplink.settings import SecretFileError, load_uplink_settings

    try:
        settings = load_uplink_settings(config_path(args.config))
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}")
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    try:
        require_paho()
        password = read_password(settings.uplink, credentials)
        alerts = settings.uplink.alerts.with_files_read(credentials)
        if settings.uplink.tls:
            tls_context(settings.uplink)
    except (UplinkError, SecretFileError) as exc:
        return _fail(str(exc))
    except OSError as exc:  # ssl.SSLError is one: a CA, certificate or key file that does not load
        return _fail(f"TLS files of [uplink] cannot be used: {exc}")
    configure_logging(settings.logging.format, settings.logging.level)
    return _serve(settings, password, alerts, exit_when_drained=args.exit_when_drained)


def _serve(
    settings: UplinkProcessSettings,
    password: str | None,
    alert_settings: AlertSettings,
    *,
    exit_when_drained: bool,
) -> int:
    from importlib.metadata import version

    from brain.uplink.alerts import AlertRunner, channels
    from brain.uplink.discovery import Cadence
    from brain.uplink.publisher import Credentials
    from brain.uplink.service import Uplink, UplinkPlan

    plan = UplinkPlan(
        data_root=settings.data_root,
        site=settings.site_id,
        settings=settings.uplink,
        cadence=Cadence(settings.poll_interval_s, settings.base_cycle_s),
        version=version("brain"),
    )
    stop = threading.Event()
    uplink = Uplink(plan, Credentials(password))
    failures: list[BaseException] = []

    def deliver() -> None:
        try:
            uplink.run(stop, exit_when_drained=exit_when_drained)
        except BaseException as exc:  # re-raised in the main thread: an uplink that failed is not exit 0
            failures.append(exc)

    workers = [threading.Thread(target=deliver, name="uplink")]
    if channels(alert_settings):
        alerts = AlertRunner(
            settings.data_root, settings.site_id, alert_settings, sensors=settings.uplink.sensors
        )
        workers.append(threading.Thread(target=alerts.run, args=(stop,), name="alerts", daemon=True))
    _run_until_stopped(workers, stop)
    if failures:
        raise failures[0]
    return ExitCode.OK


def _run_until_stopped(workers: list[threading.Thread], stop: threading.Event) -> None:
    """Run ``workers`` (the first is the uplink) until it ends or SIGTERM/SIGINT sets ``stop``.

    Why the signals are waited for, not handled: a Python handler runs in the main thread
    between two bytecodes, and ``Event.set`` takes the event's lock; a handler that lands
    while the main thread holds that lock inside ``Event.wait`` waits for itself forever
    (a CI run saw ``brain uplink`` ignore SIGTERM for 30 s while it retried an untrusted
    broker). So the stop signals are blocked in every thread (the workers inherit the mask)
    and the main thread takes them with ``sigtimedwait``, in plain code, then sets ``stop``.
    """
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    try:
        for worker in workers:
            worker.start()
        uplink = workers[0]
        while uplink.is_alive():
            if signal.sigtimedwait(stop_signals, 0.2) is not None:
                stop.set()
                break
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
        while signal.sigtimedwait(stop_signals, 0) is not None:
            pass  # a second SIGTERM while stopping: already answered, not a kill once unblocked
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
