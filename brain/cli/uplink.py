"""``brain uplink``: publish the data root to an MQTT broker, Home Assistant and alert channels.

(The uplink itself is :mod:`brain.uplink`; this module is only the command line.)
It loads only the settings the uplink reads
(:func:`brain.uplink.settings.load_uplink_settings`, not the whole
:mod:`brain.config`) and imports nothing that builds the record models: the
uplink's memory budget (docs/performance.md); ``tests/uplink/test_process.py``
checks which modules it loads.

Like the other tools it takes the data root as its argument, and ``--host`` and
``--port`` override ``[uplink]`` (flags > ``BRAIN_*`` > file > defaults), so a laptop
needs no configuration file (docs/fleet.md, "On a laptop").

Exit statuses: 0 after SIGTERM/SIGINT (or, with ``--exit-when-drained``, once
everything is delivered), never otherwise: a thread that dies (MQTT or alerts) ends the
process with 1 so that systemd restarts it; 75 when another uplink holds the data root;
78 for a configuration that cannot work (bad settings, an unreadable password file or CA
file) and 69 without paho-mqtt: systemd does not restart it in a loop
(``RestartPreventExitStatus=``); 2 for a bad flag.
A broker that is down or refuses the login is not an exit for the service: it is
logged and retried. With ``--exit-when-drained`` (a one-off catch-up, a laptop, a
script) it is: after ``--give-up-after`` seconds without a broker, or when stopped
by a signal before everything is delivered, the exit is 69 (EX_UNAVAILABLE: the
broker is), never 0, so a script can tell "all delivered" from "not".
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain.cli.settings_loader import config_path
from brain.exit_codes import ExitCode

if TYPE_CHECKING:
    from brain.uplink.service import Uplink
    from brain.uplink.settings import AlertSettings, UplinkProcessSettings

PROG = "brain uplink"
FLAGS = {"data_root": "DATA_ROOT", "uplink.host": "--host", "uplink.port": "--port"}
"""The setting each argument sets, so that a bad value is reported as what the user typed."""
GIVE_UP_AFTER_S = 30.0


def _path(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return Path(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 86400 seconds")
    return value


def add_uplink(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``brain uplink``."""
    parser = sub.add_parser(
        "uplink",
        help="publish records to an MQTT broker (history, Home Assistant, alerts)",
        description="Follow the data root and publish every record to the [uplink] broker; docs/fleet.md. "
        "Arguments override the configuration (flags > BRAIN_* environment > file > defaults).",
    )
    parser.add_argument(
        "data_root",
        type=_path,
        nargs="?",
        metavar="DATA_ROOT",
        help="the data root to publish (default: the configuration's data_root)",
    )
    parser.add_argument(
        "--config", type=Path, default=None, help="TOML file (default: none, or $BRAIN_CONFIG)"
    )
    parser.add_argument("--host", help="broker host name or address (default: uplink.host, else localhost)")
    parser.add_argument("--port", type=int, help="broker port (default: uplink.port, else 1883)")
    parser.add_argument(
        "--exit-when-drained",
        action="store_true",
        help="exit 0 once every record on disk is acknowledged (a one-off catch-up, a laptop); "
        "69 if the broker cannot be reached or refuses the login for --give-up-after seconds, "
        "or if stopped before then",
    )
    parser.add_argument(
        "--give-up-after",
        type=_seconds,
        metavar="SECONDS",
        help=f"with --exit-when-drained: how long to retry without a broker (default {GIVE_UP_AFTER_S:g})",
    )
    parser.set_defaults(run=run_uplink)


def uplink_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The arguments given, as a settings layer (absent ones override nothing)."""
    flags: dict[str, Any] = {}
    if args.data_root is not None:
        flags["data_root"] = args.data_root
    broker = {key: getattr(args, key) for key in ("host", "port") if getattr(args, key) is not None}
    if broker:
        flags["uplink"] = broker
    return flags


def _fail(message: str, status: ExitCode = ExitCode.CONFIG) -> ExitCode:
    print(f"{PROG}: {message}", file=sys.stderr)
    return status


def run_uplink(args: argparse.Namespace) -> int:
    """Load the settings, check what can be checked before connecting, then run until stopped."""
    from brain.logging import configure_logging
    from brain.uplink.publisher import UplinkError, require_paho

    if args.give_up_after is not None and not args.exit_when_drained:
        return _fail("usage error: --give-up-after needs --exit-when-drained", ExitCode.USAGE)
    try:
        require_paho()
    except UplinkError as exc:
        return _fail(str(exc), ExitCode.UNAVAILABLE)
    started = _settings_and_secrets(args)
    if isinstance(started, ExitCode):
        return started
    settings, password, alerts = started
    configure_logging(settings.logging.format, settings.logging.level)
    give_up = (args.give_up_after or GIVE_UP_AFTER_S) if args.exit_when_drained else None
    from brain.uplink.lock import UplinkBusyError, UplinkLock

    lock = UplinkLock(settings.data_root)
    try:
        lock.acquire()
    except UplinkBusyError as exc:
        return _fail(str(exc), ExitCode.TEMP_FAILURE)
    except OSError as exc:
        return _fail(f"cannot take {lock.path}: {exc.strerror}", ExitCode.CANNOT_CREATE)
    try:
        return _serve(settings, password, alerts, give_up_after_s=give_up)
    finally:
        lock.release()


def _settings_and_secrets(
    args: argparse.Namespace,
) -> tuple[UplinkProcessSettings, str | None, AlertSettings] | ExitCode:
    """The settings, the password and the alert channels; or the exit status that refuses them."""
    from brain.errors import ConfigError
    from brain.settings_core import COMMAND_LINE
    from brain.uplink.publisher import UplinkError, read_password, tls_context
    from brain.uplink.settings import SecretFileError, load_uplink_settings

    try:
        settings = load_uplink_settings(config_path(args.config), uplink_flags(args))
    except ConfigError as exc:
        if exc.origin == COMMAND_LINE and exc.key in FLAGS:
            return _fail(f"usage error: {FLAGS[exc.key]}: {exc}", ExitCode.USAGE)
        return _fail(f"configuration error: {exc}")
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    try:
        password = read_password(settings.uplink, credentials)
        alerts = settings.uplink.alerts.with_files_read(credentials)
        if settings.uplink.tls:
            tls_context(settings.uplink)
    except (UplinkError, SecretFileError) as exc:
        return _fail(str(exc))
    except OSError as exc:  # ssl.SSLError is one: a CA, certificate or key file that does not load
        return _fail(f"TLS files of [uplink] cannot be used: {exc}")
    return settings, password, alerts


def _serve(
    settings: UplinkProcessSettings,
    password: str | None,
    alert_settings: AlertSettings,
    *,
    give_up_after_s: float | None,
) -> int:
    """Run the uplink (and the alerts) until stopped; ``give_up_after_s``: ``--exit-when-drained``'s bound."""
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
        device_kinds={device: kind.value for device, kind in settings.advisor.devices.items()},
        timezone=settings.timezone,
    )
    stop = threading.Event()
    uplink = Uplink(plan, Credentials(password))
    uplink.give_up_after_s = give_up_after_s
    exit_when_drained = give_up_after_s is not None
    workers = [Worker("uplink", lambda: uplink.run(stop, exit_when_drained=exit_when_drained))]
    if channels(alert_settings):
        alerts = AlertRunner(
            settings.data_root,
            settings.site_id,
            alert_settings,
            sensors=settings.uplink.sensors,
            device_kinds=plan.device_kinds,
            timezone=settings.timezone,
        )
        workers.append(Worker("alerts", lambda: alerts.run(stop)))
    status = _run_until_stopped(workers, stop, may_finish="uplink" if exit_when_drained else None)
    if status is ExitCode.OK and exit_when_drained and not uplink.drained:
        return _fail(_not_drained(uplink), ExitCode.UNAVAILABLE)
    return status


def _not_drained(uplink: Uplink) -> str:
    """Why ``--exit-when-drained`` ends without everything delivered."""
    if uplink.gave_up is not None:
        return (
            f"gave up after {uplink.give_up_after_s:g} s without a broker ({uplink.gave_up}); "
            "what was not delivered stays on disk for the next run"
        )
    return "stopped before everything on disk was delivered; the next run goes on from there"


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


def _run_until_stopped(workers: list[Worker], stop: threading.Event, *, may_finish: str | None) -> ExitCode:
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
