"""Command-line entry points: argument parsing only; the work happens elsewhere.

``brain`` (:mod:`brain.cli.tools`) holds the tools, one module each
(``schemas``, ``import_csv``, ``export_public``, ``config``), registered in
:data:`brain.cli.tools.TOOLS`; ``brain-daemon`` (:mod:`brain.cli.brain_daemon`)
is the long-running program. Exit statuses are :class:`brain.exit_codes.ExitCode`.
Imports of the heavier parts are deferred to the sub-command that needs them,
so ``--help`` and ``brain status`` stay fast; for the same reason the two entry
points are imported only when asked for (a module ``__getattr__``): ``brain status``
never loads the daemon's command line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from brain.cli.brain_daemon import daemon_main
    from brain.cli.tools import tools_main

__all__ = ["daemon_main", "tools_main"]


def __getattr__(name: str) -> Any:
    """``daemon_main`` and ``tools_main``, imported on first use."""
    if name == "daemon_main":
        from brain.cli.brain_daemon import daemon_main

        return daemon_main
    if name == "tools_main":
        from brain.cli.tools import tools_main

        return tools_main
    raise AttributeError(f"module 'brain.cli' has no attribute {name!r}")
