#!/usr/bin/env python3
"""Simulate one greenhouse day end to end (TOMATO-7): source -> estimator -> storage on the scheduler.

A thin wrapper over ``brain-daemon --simulate`` with the ticket's arguments and
defaults: the loop itself is ``brain.daemon.MainLoop`` and runs identically here,
in the daemon on the Pi and in replay. The data flow, per scheduled tick::

    every poll (60 s logical):   observation -> estimate -> store (observations, device_status,
                                 anomalies; an extra state when an anomaly starts/ends or a
                                 sensor's health changes)
    every base cycle (2 h):      store the latest state with its sensor-health records
    then the clock advances to the next due job (at once by default, or at --time-scale's pace)

It runs as fast as the machine can unless asked for a pace: ``--time-scale 120`` plays a day
in about 12 minutes (to watch it, or to feed a consumer in near real time), and then prints
when it will be done, since nobody should wait on a silent terminal without knowing how long.

Example: ``python scripts/simulate_day.py --seed 7 --output-dir /tmp/day``
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from brain.cli import daemon_main
from brain.exit_codes import ExitCode


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The ticket's arguments, each typed and validated."""
    parser = argparse.ArgumentParser(
        prog="simulate_day.py",
        description="Simulate a greenhouse day and write state, anomaly and sensor-health JSONL.",
    )
    parser.add_argument("--seed", type=int, default=42, help="seed of the synthetic greenhouse (default 42)")
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path("data/simulate_day"),
        help="data root (default data/simulate_day)",
    )
    parser.add_argument(
        "--duration-hours", type=_positive_float, default=24.0, help="logical hours to simulate (default 24)"
    )
    parser.add_argument(
        "--scenario",
        action="append",
        default=None,
        metavar="SPEC",
        help="scenario to inject, repeatable (e.g. heatwave); 'help' lists them",
    )
    parser.add_argument(
        "--time-scale",
        type=_non_negative_float,
        default=0.0,
        help="logical seconds per wall second (default 0: as fast as possible; 120 = a day in ~12 min)",
    )
    parser.add_argument(
        "--poll-interval",
        type=_positive_float,
        default=60.0,
        help="seconds between observations (default 60)",
    )
    parser.add_argument(
        "--base-cycle-hours",
        type=_positive_float,
        default=2.0,
        help="hours between base state records (default 2)",
    )
    parser.add_argument("--start", default=None, help="first simulated instant, ISO 8601 with offset")
    parser.add_argument("--verbose", action="store_true", help="log at debug level")
    return parser


def eta_line(duration_hours: float, time_scale: float, now: datetime) -> str:
    """What a paced run tells the person waiting: how long it takes and when it ends (wall clock).

    Example: ``eta_line(24, 120, now)`` says 12 minutes and the local time 12 minutes from ``now``.
    """
    wall = timedelta(seconds=duration_hours * 3600.0 / time_scale)
    seconds = wall.total_seconds()
    if seconds < 120:
        took = f"{seconds:.0f} s"
    elif seconds < 7200:
        took = f"{seconds / 60.0:.0f} min"
    else:
        took = f"{seconds / 3600.0:.1f} h"
    return (
        f"paced at {time_scale:g} simulated s per wall s: {duration_hours:g} h take about {took}, "
        f"done around {(now + wall):%Y-%m-%d %H:%M:%S} (ETA; --time-scale 0 runs as fast as possible)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Translate the ticket's arguments into a ``brain-daemon --simulate`` run."""
    args = build_parser().parse_args(argv)
    if args.time_scale > 0:
        print(eta_line(args.duration_hours, args.time_scale, datetime.now().astimezone()), file=sys.stderr)
    daemon_args = [
        "--simulate",
        "--seed", str(args.seed),
        "--output-dir", str(args.output_dir),
        "--duration-hours", str(args.duration_hours),
        "--time-scale", str(args.time_scale),
        "--poll-interval", str(args.poll_interval),
        "--base-cycle", str(args.base_cycle_hours * 3600.0),
    ]  # fmt: skip
    for spec in args.scenario or []:
        daemon_args += ["--scenario", spec]
    if args.start:
        daemon_args += ["--start", args.start]
    if args.verbose:
        daemon_args.append("--verbose")
    try:
        return daemon_main(daemon_args)
    except SystemExit as exc:  # argparse inside the daemon: a usage error
        return exc.code if isinstance(exc.code, int) else ExitCode.USAGE


if __name__ == "__main__":
    sys.exit(main())
