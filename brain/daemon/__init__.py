"""The daemon shell: builds the parts, recovers after a restart, runs the main loop.

The one entry point is :func:`run`; the modules each hold one job
(``builder``, ``main_loop``, ``sink``, ``notify``, ``progress``).
"""

from brain.daemon.main_loop import run, serve

__all__ = ["run", "serve"]
