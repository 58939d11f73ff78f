"""Every exit status brain's programs return, with its meaning: one table for the CLI, ``--help`` and docs.

Why the sysexits.h numbers: they are what operators and systemd already know.
:data:`RESTART_PREVENTED` are the statuses a restart cannot cure; the systemd unit
lists exactly these in ``RestartPreventExitStatus=``, so a daemon that cannot run as
configured stops instead of being restarted in a loop (a test parses the unit).
``brain --help`` and ``brain-daemon --help`` end with :func:`exit_code_help`, and
docs/operations.md and docs/deployment.md hold :func:`exit_code_table` verbatim
(checked by a test). A code is an :class:`int`, so ``sys.exit(ExitCode.CONFIG)`` exits 78.

Each code has two wordings, one per program: :attr:`ExitCode.meaning` is what it tells about
``brain-daemon``, :attr:`ExitCode.tool_meaning` about the ``brain`` tools (``brain --help``).
``brain status`` alone answers in the monitoring-plugin codes 0-3 instead (its own ``--help``).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The exit status of ``brain-daemon`` and the ``brain`` tools; each one's meaning is :attr:`meaning`."""

    OK = 0
    FAILURE = 1
    USAGE = 2
    DATA_ERROR = 65
    NO_INPUT = 66
    UNAVAILABLE = 69
    CANNOT_CREATE = 73
    IO_ERROR = 74
    TEMP_FAILURE = 75
    CONFIG = 78

    @property
    def meaning(self) -> str:
        """What the status tells an operator, in one line (the text of ``--help`` and the docs)."""
        return _MEANINGS[self]

    @property
    def tool_meaning(self) -> str:
        """What the status tells about a ``brain`` tool (the text of ``brain --help``)."""
        return _TOOL_MEANINGS[self]


_MEANINGS = {
    ExitCode.OK: "done (a clean stop on a signal, or the end of a simulated or replayed stream)",
    ExitCode.FAILURE: "runtime error, the message says why (5 failed polls in a row, a fail-fast replay)",
    ExitCode.USAGE: "usage error: a bad option or option value, no source chosen, a flag of another mode",
    ExitCode.DATA_ERROR: "bad input data (EX_DATAERR): a replay with nothing valid in it; "
    "stderr gives a hint",
    ExitCode.NO_INPUT: "(not returned by brain-daemon: a missing replay input is a configuration error)",
    ExitCode.UNAVAILABLE: "a library the command needs is missing (EX_UNAVAILABLE)",
    ExitCode.CANNOT_CREATE: "an output cannot be created or written (EX_CANTCREAT): refused at start, "
    "or for good while running (read-only, not permitted)",
    ExitCode.IO_ERROR: "records were lost (EX_IOERR): the disk refused for a while, or output was deleted",
    ExitCode.TEMP_FAILURE: "busy (EX_TEMPFAIL): another brain process holds the data root",
    ExitCode.CONFIG: "configuration error (EX_CONFIG): the message names the key and its file or variable; "
    "or the data root holds another run (its manifest)",
}

_TOOL_MEANINGS = {
    ExitCode.OK: "done",
    ExitCode.FAILURE: "runtime error, the message says why",
    ExitCode.USAGE: "usage error: a bad option or option value, an unknown time zone (brain status: 3)",
    ExitCode.DATA_ERROR: "no data for what was asked (EX_DATAERR): an empty day, week or range for "
    "report or export-csv (the message names the days the folder holds), nothing valid to import",
    ExitCode.NO_INPUT: "no input (EX_NOINPUT): the data root, CSV or source named is not there",
    ExitCode.UNAVAILABLE: "a library or service the command needs is missing (EX_UNAVAILABLE): "
    "matplotlib for brain report, paho-mqtt for brain uplink; a broker that takes the login for "
    "brain uplink --exit-when-drained (or stopped before it drained)",
    ExitCode.CANNOT_CREATE: "an output cannot be created or written (EX_CANTCREAT), "
    "or it exists (use --force)",
    ExitCode.IO_ERROR: "an output failed part-way (EX_IOERR)",
    ExitCode.TEMP_FAILURE: "busy (EX_TEMPFAIL): another brain process holds the data root",
    ExitCode.CONFIG: "configuration error (EX_CONFIG): the message names the key and its file or variable",
}

RESTART_PREVENTED = frozenset(
    {
        ExitCode.USAGE,
        ExitCode.DATA_ERROR,
        ExitCode.UNAVAILABLE,
        ExitCode.CANNOT_CREATE,
        ExitCode.TEMP_FAILURE,
        ExitCode.CONFIG,
    }
)
"""Statuses systemd must not restart on (``RestartPreventExitStatus=``): the same start would fail again.

75 is among them although EX_TEMPFAIL means "later": under systemd the other holder
of the data root is a process outside the unit (a manual run beside the service),
which a restart every 15 s does not end; the operator stops it, then starts brain.
"""


def systemd_action(code: ExitCode) -> str:
    """What ``systemd/brain.service`` (``Restart=on-failure``) does after ``code``."""
    if code is ExitCode.OK:
        return "not restarted"
    if code is ExitCode.NO_INPUT:
        return "-"
    if code in RESTART_PREVENTED:
        return "**not restarted**: fix the cause, then `systemctl start brain`"
    return "restarted after `RestartSec`"


def exit_code_table() -> str:
    """The Markdown table that docs/operations.md and docs/deployment.md hold verbatim."""
    rows = [
        "| code | name | brain-daemon | brain tools | systemd (brain-daemon) |",
        "|---|---|---|---|---|",
    ]
    rows += [
        f"| {code.value} | {code.name} | {code.meaning} | {code.tool_meaning} | {systemd_action(code)} |"
        for code in ExitCode
    ]
    return "\n".join(rows)


TOOLS_STATUS_NOTE = (
    "brain status answers in monitoring-plugin codes instead: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN"
)


def exit_code_help(program: str = "brain-daemon") -> str:
    """The exit-status epilog of ``brain-daemon --help`` or, for ``program="brain"``, ``brain --help``."""
    tools = program == "brain"
    lines = ["exit status:"]
    lines += [
        f"  {code.value:>3}  {code.tool_meaning if tools else code.meaning}"
        for code in ExitCode
        if tools or code is not ExitCode.NO_INPUT
    ]
    if tools:
        lines.append(f"  ({TOOLS_STATUS_NOTE})")
    return "\n".join(lines)
