"""``brain uplink``: publish the data root to an MQTT broker, Home Assistant and alert channels.

(The uplink itself is :mod:`brain.uplink`; this module is only the command line.)
It loads only the settings the uplink reads
(:func:`brain.uplink.settings.load_uplink_settings`, not the whole
:mod:`brain.config`) and imports nothing that builds the record models: the
uplink's memory budget (docs/performance.md); ``tests/uplink/test_process.py``
checks which modules it loads.
Exit statuses: 0 after SIGTERM/SIGINT (or, with ``--exit-when-drained``, once
everything is delivered), never otherwise: a thread that dies (MQTT or alerts) ends the
process with 1 so that systemd restarts it; 75 when another uplink holds the data
root; 78 for a configuration that cannot work (bad settings, paho-mqtt missing, an
unreadable password file or CA file): systemd
does not restart it in a loop (``RestartPreventExitStatus=78``). A broker that
is down or refuses the login is not an exit: it is logged and retried.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from brain.cli.settings_loader import config_path
from brain.exit_codes import ExitCode

if TYPE_CHECKING:
    from brain.uplink.settings import UplinkProcessSettings


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
    from brain.uplink.settings import load_uplink_settings

    try:
        settings = load_uplink_settings(config_path(args.config))
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}")
    try:
        require_paho()
        password = read_password(settings.uplink, os.environ.get("CREDENTIALS_DIRECTORY"))
        if settings.uplink.tls:
            tls_context(settings.uplink)
    except UplinkError as exc:
        return _fail(str(exc))
    except OSError as exc:  # ssl.SSLError is one: a CA, certificate or key file that does not load
        return _fail(f"TLS files of [uplink] cannot be used: {exc}")
    configure_logging(settings.logging.format, settings.logging.level)
    from brain.uplink.lock import UplinkBusyError, UplinkLock

    lock = UplinkLock(settings.data_root)
    try:
        lock.acquire()
    except UplinkBusyError as exc:
        print(f"brain uplink: {exc}", file=sys.stderr)
        return ExitCode.TEMP_FAILURE
    except OSError as exc:
        print(f"brain uplink: cannot take {lock.path}: {exc.strerror}", file=sys.stderr)
        return ExitCode.CANNOT_CREATE
    try:
        return _serve(settings, password, exit_when_drained=args.exit_when_drained)
    finally:
        lock.release()


def _serve(settings: UplinkProcessSettings, password: str | None, *, exit_when_drained: bool) -> int:
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
    workers = [Worker("uplink", lambda: uplink.run(stop, exit_when_drained=exit_when_drained))]
    if channels(settings.uplink.alerts):
        alerts = AlertRunner(
            settings.data_root, settings.site_id, settings.uplink.alerts, sensors=settings.uplink.sensors
        )
        workers.append(Worker("alerts", lambda: alerts.run(stop)))
    return _run_until_stopped(workers, stop, may_finish="uplink" if exit_when_drained else None)


class Worker:
    """One thread of the uplink and how it ended: ``failure`` is set if it raised or returned unasked."""

    def __init__(self, name: str, target: Callable[[], None]) -> None:
        self.name = name
        self.failure: str | None = None
        self._target = target
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        try:
            self._target()
        except BaseException as exc:  # any death of a worker ends the process non-zero (systemd restarts it)
            import structlog

            self.failure = f"{type(exc).__name__}: {exc}"
            structlog.get_logger(__name__).error(
                "uplink_thread_died",
                thread=self.name,
                reason=self.failure,
                exc_info=exc,
                consequence="the process exits 1 and systemd starts it again",
            )


def _run_until_stopped(workers: list[Worker], stop: threading.Event, *, may_finish: str | None) -> int:
    """Run ``workers`` until SIGTERM/SIGINT, a worker's death (exit 1) or ``may_finish`` ending (exit 0).

    Why the signals are waited for, not handled: a Python handler runs in the main thread
    between two bytecodes, and ``Event.set`` takes the event's lock; a handler that lands
    while the main thread holds that lock inside ``Event.wait`` waits for itself forever
    (a CI run saw ``brain uplink`` ignore SIGTERM for 30 s while it retried an untrusted
    broker). So the stop signals are blocked in every thread (the workers inherit the mask)
    and the main thread takes them with ``sigtimedwait``, in plain code, then sets ``stop``.

    Why the signal number is checked: after SIGSTOP and SIGCONT (a pause, a debugger)
    ``sigtimedwait`` returns a result whose ``si_signo`` is 0 instead of ``None``
    (CPython 3.12 on Linux, issue 24); taking that for SIGTERM made the uplink exit 0, and
    ``Restart=on-failure`` then left it dead. Only SIGTERM and SIGINT stop it.

    Why any worker that ends is a failure: the alerts thread dying while the MQTT one goes on
    looked healthy to systemd and delivered no alert again. A worker that ends without being
    asked (an exception, or a return) stops the others and the process exits 1, which
    ``Restart=on-failure`` answers.
    """
    from brain.exit_codes import ExitCode

    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    ended: Worker | None = None
    try:
        for worker in workers:
            worker.thread.start()
        while ended is None:
            info = signal.sigtimedwait(stop_signals, 0.2)
            if info is not None and info.si_signo in stop_signals:
                break
            ended = next((w for w in workers if not w.thread.is_alive()), None)
        stop.set()
        for worker in workers:
            worker.thread.join(timeout=30)
        while (info := signal.sigtimedwait(stop_signals, 0)) is not None and info.si_signo:
            pass  # a second SIGTERM while stopping: already answered, not a kill once unblocked
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
    failed = [w for w in workers if w.failure is not None]
    if ended is not None and not failed and ended.name != may_finish:
        failed, ended.failure = [ended], "it returned without being asked to stop"
    for worker in failed:
        print(f"brain uplink: the {worker.name} thread died ({worker.failure}); exiting 1", file=sys.stderr)
    return ExitCode.FAILURE if failed else ExitCode.OK
