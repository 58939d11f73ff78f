#!/usr/bin/env python3
"""Drive the estimator and the advisor step by step over a log, as a library user would (docs/advisor.md).

The loop is the whole of it: each observation and its device status go to ``Estimator.step``,
the estimate to ``Advisor.step``; the advice is printed as it comes. Nothing is written and no
clock is read, so the same log gives the same output. The device kinds come from ``--kind
NAME=KIND`` (repeatable), else from the log's sidecar (an imported CSV names its devices),
else brain's default relays.

Example: ``python scripts/advise.py /tmp/day --latitude 52.0 --longitude 4.4``
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import structlog

from brain.advisor import Advisor, AdvisorSettings
from brain.contracts import ActionV1
from brain.errors import BrainError
from brain.estimator import Estimator, EstimatorSettings, ObservationOrderError
from brain.exit_codes import ExitCode
from brain.sources.replay import ReplaySource
from brain.sources.sidecar import read_sidecar, replay_input_zone


def _settings(args: argparse.Namespace) -> AdvisorSettings:
    kinds: dict[str, str] = {}
    if args.path.is_file():
        meta = read_sidecar(args.path) or {}
        kinds = dict(meta.get("device_kinds") or {})
    kinds.update(dict(pair.split("=", 1) for pair in args.kind))
    place = {"latitude": args.latitude, "longitude": args.longitude}
    return AdvisorSettings.model_validate({**({"devices": kinds} if kinds else {}), **place})


def _advise(
    source: ReplaySource, estimator: Estimator, advisor: Advisor
) -> tuple[list[ActionV1], int, Counter[str]]:
    """The loop: every observation through the estimator, every estimate through the advisor."""
    actions: list[ActionV1] = []
    steps, no_advice = 0, Counter[str]()
    try:
        while (observation := source.next_observation()) is not None:
            try:
                estimate = estimator.step(observation, source.device_status())
            except ObservationOrderError:
                continue
            advice = advisor.step(estimate)
            steps += 1
            no_advice.update(kind for kind, desire in advice.desired.items() if desire is None)
            actions += advice.actions
    finally:
        source.close()
    return actions, steps, no_advice


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="a JSONL log, a run directory or a data root")
    parser.add_argument(
        "--kind", action="append", default=[], metavar="NAME=KIND", help="a device and its kind"
    )
    parser.add_argument("--latitude", type=float, help="the site's latitude (day and night from the sun)")
    parser.add_argument("--longitude", type=float, help="the site's longitude")
    parser.add_argument(
        "--last", type=int, default=10, metavar="N", help="print the last N actions (default 10)"
    )
    args = parser.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))  # errors only
    zone = replay_input_zone(args.path)
    timezone = zone.zone if zone is not None else "UTC"
    estimator = Estimator(EstimatorSettings.load(None), timezone=timezone)
    advisor = Advisor(_settings(args), timezone=timezone)
    try:
        source = ReplaySource(args.path)
        actions, steps, no_advice = _advise(source, estimator, advisor)
    except BrainError as exc:  # nothing to replay, say: said plainly, never a traceback
        print(f"advise.py: {exc}", file=sys.stderr)
        return ExitCode.DATA_ERROR
    kinds = ", ".join(sorted({action.action_type.value for action in actions}))
    print(f"{steps} steps, {len(actions)} actions ({kinds})")
    for kind, count in sorted(no_advice.items()):
        print(f"  {kind}: no advice at {count} steps (an input it needs was not trusted)")
    for action in actions[-args.last :] if args.last else []:
        when = f"{action.timestamp:%Y-%m-%d %H:%M}"
        print(f"{when} {action.action_type.value} {action.target_device}: {action.reason}")
    return ExitCode.OK if steps else ExitCode.DATA_ERROR


if __name__ == "__main__":
    sys.exit(main())
