"""Command-line entry points: argument parsing only; the work happens elsewhere.

``brain`` (:mod:`brain.cli.tools`) holds the tools, one module each
(``schemas``, ``import_csv``, ``export_public``, ``config``), registered in
:data:`brain.cli.tools.TOOLS`; ``brain-daemon`` (:mod:`brain.cli.brain_daemon`)
is the long-running program. Exit statuses are :class:`brain.exit_codes.ExitCode`.
Imports of the heavier parts are deferred to the sub-command that needs them,
so ``--help`` stays fast.
"""

from __future__ import annotations

from brain.cli.brain_daemon import daemon_main
from brain.cli.tools import tools_main

__all__ = ["daemon_main", "tools_main"]
