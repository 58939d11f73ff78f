"""``make bench``: every benchmark of brain, the headline table first, then each part's own figures.

The table holds the figures the project's goals are stated in, each judged against its
"required" line (PASS/FAIL) and its goal; the part benchmarks follow as they print
themselves. Nothing here is a test: speed is measured, never asserted in CI.

Why the budgets are counts or ratios (issue 29): this VM's speed moves by a factor of two
from hour to hour, so a line set in microseconds fails whatever the code does. Where a
budget is judged, the table shows beside the wall-clock figure either an instruction count
from callgrind (the same on a quiet and a loaded machine; ``bench/callgrind.py``) or a ratio
to a reference measured in the same run; the wall-clock figure is kept for reading.
Run: ``python bench/run_all.py [--quick]`` (``--quick``: a 30-day replay instead of a year).
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import advisor_agreement
import estimator
import memory
import replay_floor
import replay_vs_pandas
import report
import simulate
import startup
import structlog
import uplink

HERE = Path(__file__).resolve().parent
PARTS = [
    "storage.py",
    "scheduler.py",
    "synthetic_source.py",
    "csv_import.py",
    "hardware_poll.py",
]
"""The part benchmarks, each printing its own figures."""

Row = tuple[str, str, str, str, str]


def _judge(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _progress(what: str) -> None:
    """One line on stderr as each measurement starts: the table comes only after minutes of work."""
    print(f"measuring {what} ...", file=sys.stderr, flush=True)


def _rows(days: int) -> list[Row]:
    # The median of three runs each: pandas alone swings from 3.6 to 4.8 s here (it builds 1.4 GB of objects).
    _progress(f"replay of {days} days against pandas (bench/replay_vs_pandas.py)")
    replay = replay_vs_pandas.measure(days=days, repeat=3)
    _progress("a simulated day (bench/simulate.py)")
    day = simulate.measure(repeat=3)
    _progress("peak memory over 30 days (bench/memory.py)")
    mem = memory.measure()
    _progress("start-up (bench/startup.py)")
    start = startup.measure(repeat=5)
    _progress("the replay loop's floor (bench/replay_floor.py)")
    floor = replay_floor.measure(days=30)
    _progress("Estimator.step (bench/estimator.py)")
    est = estimator.measure()
    _progress(
        f"instructions per Estimator.step, callgrind over {estimator.COUNTED_DAYS} days (about a minute)"
    )
    step_count = estimator.step_instructions()
    _progress("instructions per replayed observation, callgrind (a few minutes)")
    replay_count = replay_vs_pandas.instructions_per_observation()
    _progress("brain report and brain status (bench/report.py)")
    pages = report.measure(repeat=3)
    ratio = replay["ratio"]
    # No loop around the parts can beat this: the imports, then the parts alone for every line.
    best = replay["pandas_s"] / (day["import_s"] + floor["parts_us"] * replay["lines"] / 1e6)
    return [
        (f"replay {replay['lines']:,.0f} lines: brain", f"{replay['brain_s']:.2f} s ({replay['brain_lines_per_s']:,.0f}/s)", "", "", ""),
        ("  pandas.read_json (load only)", f"{replay['pandas_s']:.2f} s ({replay['pandas_lines_per_s']:,.0f}/s)", "", "", ""),
        ("  CPU time, brain / pandas", f"{replay['brain_cpu_s']:.2f} s / {replay['pandas_cpu_s']:.2f} s", "", "", ""),
        ("  ratio brain / pandas, CPU, same run", f"{ratio:.2f}", f">= {replay_vs_pandas.RATIO_MIN}", ">= 0.5", _judge(ratio >= replay_vs_pandas.RATIO_MIN)),
        ("  ratio brain / pandas, wall, same run", f"{replay['wall_ratio']:.2f}", "(shown)", "", ""),
        _count_row("  instructions per replayed observation", replay_count),
        ("  brain's loop, in process", f"{floor['daemon_us']:.1f} us/observation", "", "", ""),
        ("  the parts alone, no loop", f"{floor['parts_us']:.1f} us/observation", "", "", ""),
        ("  best ratio with no loop at all", f"{best:.2f}", "", "", ""),
        ("Estimator.step, a month of 60 s polls", f"{est['step_us']:.2f} us", "", "", ""),
        _count_row(f"  instructions per step ({estimator.COUNTED_DAYS} days)", step_count, estimator.STEP_INSTRUCTIONS_MAX, 60_000),
        ("  on the replay's month file", f"{est['month_file_step_us']:.2f} us", "", "", ""),
        ("  with state and health records", f"{est['with_records_us']:.2f} us", "", "", ""),
        ("simulated day, 60 s poll", f"{day['day_60s_s']:.3f} s", "<= 1.5 s", "work < imports", _judge(day["day_60s_s"] <= 1.5)),
        ("  import brain.daemon.main_loop (floor)", f"{day['import_s']:.3f} s", "", "", ""),
        ("  the day's work", f"{day['work_s']:.3f} s", "", "", "goal met" if day["work_s"] < day["import_s"] else "goal not met"),
        ("  same day, 2 h base cycle", f"{day['day_2h_s']:.3f} s", "", "", ""),
        ("peak RSS, 30 days at 60 s", f"{mem['peak_30d_mb']:.1f} MB", "<= 80 MB", "", _judge(mem["peak_30d_mb"] <= 80)),
        ("  growth 3 -> 30 days", f"{mem['growth_mb']:.1f} MB", "<= 5 MB", "", _judge(mem["growth_mb"] <= 5)),
        ("  anonymous memory at exit (RssAnon)", f"{mem['anon_30d_mb']:.1f} MB", "", "", ""),
        ("  python -c 'import pydantic'", f"{mem['pydantic_mb']:.1f} MB (anonymous {mem['pydantic_anon_mb']:.2f} MB)", "", "", ""),
        ("  anonymous / pydantic's, same run", f"{mem['anon_ratio']:.2f}", f"<= {memory.ANON_RATIO_MAX}", "", _judge(mem["anon_ratio"] <= memory.ANON_RATIO_MAX)),
        _deployed_memory_row(mem),
        ("start-up: python -c pass", f"{start['python_pass_s']:.3f} s (CPU {start['python_pass_cpu_s']:.3f} s)", "", "", ""),
        ("  brain-daemon --help", f"{start['help_s']:.3f} s", "", "", ""),
        ("  brain-daemon to READY", f"{start['ready_s']:.3f} s (CPU {start['ready_cpu_s']:.3f} s)", "", "", ""),
        ("  READY / python -c pass, CPU, same run", f"{start['ready_ratio']:.1f}", f"<= {startup.READY_RATIO_MAX}", "", _judge(start["ready_ratio"] <= startup.READY_RATIO_MAX)),
        ("bytes written per simulated day", f"{day['day_bytes']:,} B", "", "", ""),
        ("brain report --day, 1-minute data", f"{pages['day_s']:.2f} s (CPU {pages['day_cpu_s']:.2f} s)", "<= 3 s", "", _judge(pages["day_s"] <= 3)),
        ("brain report --week, 1-minute data", f"{pages['week_s']:.2f} s (CPU {pages['week_cpu_s']:.2f} s)", "<= 10 s", "", _judge(pages["week_s"] <= 10)),
        ("brain status, year-old data root", f"{pages['status_s']:.3f} s (CPU {pages['status_cpu_s']:.3f} s)", "<= 0.5 s", "", _judge(pages["status_s"] <= 0.5)),
        ("  its imports (floor)", f"{pages['status_floor_s']:.3f} s (CPU {pages['status_floor_cpu_s']:.3f} s)", "", "", ""),
        *_uplink_rows(),
        *_advisor_rows(),
    ]  # fmt: skip


def _advisor_rows() -> list[Row]:
    _progress("the advisor against the OSU climate computer (bench/advisor_agreement.py)")
    adv = advisor_agreement.measure()
    if "skipped" in adv:
        return [("advisor (bench/advisor_agreement.py)", f"skipped: {adv['skipped']}", "", "", "")]
    vent = float(adv["osu_ventilation_day"])
    ratios, times, counted = adv["ratios"], adv["times_us"], adv["instructions"]
    assert isinstance(ratios, dict) and isinstance(times, dict)
    worst = max(ratios.values())
    walls = ", ".join(
        f"{site} {100 * share:.0f} % ({times[site][1]:.2f} / {times[site][0]:.2f} us)"
        for site, share in ratios.items()
    )
    if isinstance(counted, dict):
        shown = "instructions " + ", ".join(f"{site} {100 * share:.0f} %" for site, share in counted.items())
    else:
        shown = f"instructions skipped: {counted}"
    step_row: Row = (
        "  Advisor.step / Estimator.step, same run",
        f"{100 * worst:.0f} % ({walls}); {shown}",
        f"<= {100 * advisor_agreement.RATIO_MAX:.0f} %",
        "",
        _judge(worst <= advisor_agreement.RATIO_MAX),
    )
    return [
        ("advisor: OSU ventilation agreement, day", f"{100 * vent:.1f} %", ">= 80 %", "", _judge(vent >= 0.8)),
        step_row,
    ]  # fmt: skip


def _deployed_memory_row(mem: dict[str, float | str]) -> tuple[str, str, str, str, str]:
    """The same ratio as a Pi installs brain (no ``rich``), shown beside 2026-12-01's code measured so."""
    if "deployed_anon_ratio" not in mem:
        return ("  as deployed (pip install .)", str(mem["deployed"]), "", "", "")
    return (
        "  as deployed (pip install .), ratio",
        f"{mem['deployed_anon_ratio']:.2f} ({mem['deployed_anon_30d_mb']:.1f} MB)",
        f"(2026-12-01: {memory.DEPLOYED_2026_12_01_RATIO})",
        "",
        "",
    )


def _count_row(name: str, count: float | str, required: int | None = None, goal: int | None = None) -> Row:
    """An instruction count, judged when it has a budget; a skip message when callgrind could not run."""
    if isinstance(count, str):
        return (name, count, f"<= {required:,}" if required else "", "", "")
    if required is None:
        return (name, f"{count:,.0f}", "", "", "")
    return (
        name,
        f"{count:,.0f}",
        f"<= {required:,}",
        f"<= {goal:,}" if goal else "",
        _judge(count <= required),
    )


def _uplink_rss_rows(up: dict[str, Any]) -> list[Row]:
    """The budget is judged on the uplink as deployed (pip install .[uplink]); the dev venv's figure is shown."""
    dev = ("  uplink peak RSS, dev venv (rich)", f"{up['peak_rss_mb']:.1f} MB", "(not the budget)", "", "")
    if up["deployed_peak_rss_mb"] is None:
        return [("  uplink peak RSS as deployed", up["deployed"], "<= 40 MB", "", ""), dev]
    return [
        ("  uplink peak RSS as deployed, draining", f"{up['deployed_peak_rss_mb']:.1f} MB", "<= 40 MB", "", _judge(up["deployed_peak_rss_mb"] <= 40)),
        ("  uplink RSS as deployed, following live", f"{up['live_rss_mb']:.1f} MB", "<= 40 MB", "", _judge(up["live_rss_mb"] <= 40)),
        ("  of which the imports alone", f"{up['deployed_import_floor_rss_mb']:.1f} MB", "", "", ""),
        dev,
    ]  # fmt: skip


def _uplink_rows() -> list[Row]:
    _progress("brain uplink (bench/uplink.py)")
    up = uplink.measure()
    if "skipped" in up:
        return [("uplink (bench/uplink.py)", f"skipped: {up['skipped']}", "", "", "")]
    return [
        ("uplink backlog drain", f"{up['drain_per_s']:,.0f} records/s", ">= 20x production", "", _judge(up["times_production"] >= 20)),
        ("  one day of 1-minute records", f"{up['day_s']:.2f} s", "a few s", "", _judge(up["day_s"] <= 5)),
        ("  live latency, write to subscriber", f"{up['latency_max_s'] * 1000:.0f} ms (max)", "< 2 s", "", _judge(up["latency_max_s"] < 2)),
        *_uplink_rss_rows(up),
        ("  cursor writes per stream", f"{up['cursor_writes_per_s']:.2f}/s", "<= 1/s", "", _judge(up["cursor_writes_per_s"] <= 1)),
    ]  # fmt: skip


def _table(rows: list[Row]) -> str:
    header: Row = ("figure", "measured", "required", "goal", "")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(5)]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if row is header:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


QUIET = (
    "import logging, runpy, sys, structlog; "
    "structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING)); "
    "sys.argv = [sys.argv[1]]; runpy.run_path(sys.argv[0], run_name='__main__')"
)
"""Runs a part benchmark with brain's info-level log lines silenced: only its figures are printed."""


def _part(script: str, out: Callable[[str], None]) -> None:
    _progress(f"bench/{script}")
    out(f"\n## {script}")
    result = subprocess.run(
        [sys.executable, "-c", QUIET, str(HERE / script)], capture_output=True, text=True, check=False
    )
    out(result.stdout.rstrip() or result.stderr.rstrip())


def main() -> None:
    """Print the headline table, then every part benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="replay 30 days instead of 365")
    days = 30 if parser.parse_args().quick else 365
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    print("# brain benchmarks (fresh processes; this machine)\n")
    print(_table(_rows(days)), flush=True)
    for script in PARTS:
        _part(script, lambda text: print(text, flush=True))


if __name__ == "__main__":
    main()
