"""Project-wide fixtures: where the project and the shared field data are."""

from __future__ import annotations

import fcntl
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import structlog

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIELD_DATA = PROJECT_ROOT.parent / "shared" / "data" / "field"

_DOCUMENT = "tests/test_docs_commands.py::test_the_commands_of_a_document_run_as_shown"
START_FIRST = [
    f"{_DOCUMENT}[README.md]",
    "tests/estimator/test_field_logs.py",
    f"{_DOCUMENT}[docs/operations.md]",
    "tests/uplink/test_drills.py::test_a_broker_that_refuses_a_topic",
    f"{_DOCUMENT}[docs/fleet.md]",
    "tests/daemon/test_actions_stream.py::test_a_restarted_simulation_writes_the_actions_an_uncut_one_does",
    "tests/cli/test_exit_statuses.py",
    "tests/cli/test_cli.py::test_default_simulated_day_is_the_local_day_of_the_zone",
    "tests/report/test_pages_in_browser.py::test_a_bad_day_page_says_what_is_missing[sensor-faulty-all-day]",
    "tests/uplink/test_drills.py::test_400_days_of_history",
    f"{_DOCUMENT}[docs/advisor.md]",
    "tests/estimator/test_expected_outputs.py::test_field_log_gives_the_expected_verdicts",
    f"{_DOCUMENT}[docs/deployment.md]",
    "tests/reliability/test_power_cut.py::test_twenty_sigkills_lose_nothing_acknowledged",
    "tests/cli/test_cli.py::test_default_start_keeps_utc_runs_and_the_same_bytes",
    "tests/sources/csv/test_csv_import.py::test_osu2024_imports_every_row_through_the_dst_fall_back",
    "tests/test_docs_commands.py::test_the_readme_round_trip_is_byte_identical",
    "tests/report/test_pages_in_browser.py::test_a_bad_day_page_says_what_is_missing",
    "tests/report/test_week_page.py::test_the_osu_warm_spell_week",
    "tests/test_docs_commands.py::test_make_simulate_runs_config_simulate_toml",
    "tests/daemon/test_replay_devices.py",
    "tests/reliability/test_supervision.py",
    "tests/report/test_pages_in_browser.py",
    "tests/report/test_day_page.py",
    "tests/uplink/test_uplink.py::test_a_broker_outage_loses_nothing_for_a_persistent_subscriber",
    "tests/uplink/test_alert_cursor.py::test_400_days_of_history",
    "tests/estimator/test_anomaly_detector.py::test_no_flapping_around_a_threshold",
    "tests/cli/test_report_commands.py::test_week_without_a_date_reports_last_week",
    "tests/uplink/test_lifecycle.py::test_a_five_second_pause_is_not_a_stop",
    "tests/daemon/test_site_zone.py::test_the_osu_logs",
    "tests/scripts/test_simulate_day_run.py",
]
"""The longest tests (``--durations`` of the whole suite, issue 25), longest first, each line one group:
the tests a line names share what is expensive to make once per worker (a replayed season, a
module's fixture), so they stay together on one worker. The groups are started first, dealt to
the workers in turn, so none starts last and leaves the other workers idle while it runs. A line
that no longer matches only loses its head start; a new long test should be added here."""


def pytest_configure(config: pytest.Config) -> None:
    """Hang-ups reach the daemons the tests start, even when the suite itself runs under ``nohup``.

    ``nohup make test`` (or ``scripts/hog_check.sh`` left running) starts pytest with SIGHUP
    ignored, every child inherits that, and a daemon started with SIGHUP ignored keeps it
    ignored (as it should: docs/operations.md); the SIGHUP drills would then see no flush.
    A test that wants it ignored sets that itself (``test_sighup_inherited_as_ignored...``).
    """
    if signal.getsignal(signal.SIGHUP) == signal.SIG_IGN:
        signal.signal(signal.SIGHUP, signal.SIG_DFL)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deal the longest tests (:data:`START_FIRST`) to the heads of the workers' shares.

    pytest-xdist's ``worksteal`` hands each of N workers a contiguous share of the collected
    order and lets an idle worker take the *tail* of the longest queue, so a long test keeps
    the place it was dealt: at the end of a share it runs last, alone. Dealt round-robin to
    the heads of the shares (longest first), every worker starts on its own long tests.
    Every worker computes the same order, as xdist requires.
    """

    groups: list[list[pytest.Item]] = [[] for _ in START_FIRST]
    rest: list[pytest.Item] = []
    for item in items:
        line = next((i for i, prefix in enumerate(START_FIRST) if item.nodeid.startswith(prefix)), None)
        (rest if line is None else groups[line]).append(item)
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    shares: list[list[pytest.Item]] = [[] for _ in range(workers)]
    for line, group in enumerate(group for group in groups if group):
        shares[line % workers] += group
    remaining, ordered = len(items), []
    for w, share in enumerate(shares):
        size = remaining // (workers - w)  # what xdist's worksteal sends each idle worker at the start
        filler, rest = rest[: max(0, size - len(share))], rest[max(0, size - len(share)) :]
        ordered += share + filler
        remaining -= len(share) + len(filler)
    items[:] = ordered + rest


def made_once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], Path]) -> Path:
    """``make(folder)`` once per run, however many pytest-xdist workers ask; its result, read by all.

    For session fixtures that simulate a data root the tests only read: made once per worker,
    the same folder cost every worker its simulation (four workers, four heatwave days). Under
    xdist the workers' temporary folders share a parent unique to the run; the first worker to
    ask makes the folder there, holding a lock, and the others wait for it and read the same one.
    Without xdist it is the worker's own temporary folder, as before.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return make(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent / f"made-once-{name}"
    made = shared / "made.txt"
    with (shared.parent / f"made-once-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, even if make() fails
        if not made.exists():
            shared.mkdir(exist_ok=True)
            made.write_text(str(make(shared)))
    return Path(made.read_text())


@pytest.fixture
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture
def field_data() -> Path:
    """The real greenhouse logs; tests that need them skip on a user's clone without them."""
    if not FIELD_DATA.is_dir():
        pytest.skip(f"field data folder absent: {FIELD_DATA}")
    return FIELD_DATA


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    """A test that configures logging (a CLI run in-process) must not leave it bound to a closed stream."""
    yield
    structlog.reset_defaults()
