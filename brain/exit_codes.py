"""Every exit status brain's programs return, with its meaning: one table for the CLI, ``--help`` and docs.

Why the sysexits.h numbers: they are what operators and systemd already know,
and ``systemd/brain.service`` lists :attr:`ExitCode.CONFIG` (78) in
``RestartPreventExitStatus=`` so that a misconfigured daemon is not restarted in
a loop. A code is an :class:`int`, so ``sys.exit(ExitCode.CONFIG)`` exits 78.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The exit status of ``brain-daemon`` and the ``brain`` tools."""

    OK = 0
    """Done; a tool may still have skipped bad input lines and said so in its summary."""
    FAILURE = 1
    """Failed while running (storage, source or an internal error); the message says why."""
    USAGE = 2
    """Bad command line (argparse's own status)."""
    DATA_ERROR = 65
    """EX_DATAERR: the input data was wrong."""
    UNAVAILABLE = 69
    """EX_UNAVAILABLE: a library the command needs is missing (``brain report`` without matplotlib)."""
    CANNOT_CREATE = 73
    """EX_CANTCREAT: an output file or directory could not be created."""
    IO_ERROR = 74
    """EX_IOERR: reading or writing failed."""
    TEMP_FAILURE = 75
    """EX_TEMPFAIL: busy or temporarily unable (another daemon holds the data root, say); retry later."""
    CONFIG = 78
    """EX_CONFIG: a setting is invalid; fix the configuration, a restart will not help."""
