"""The daemon shell: builds the parts, recovers after a restart, runs the main loop.

The one entry point is :func:`run` (:func:`serve` runs parts built elsewhere, as
tests do); the modules each hold one job: ``builder`` (the parts for a mode),
``recovery`` (a restart), ``main_loop`` (the jobs and the run), ``poll_rule``
(which records a poll stores), ``sink`` (the door to storage), ``signals``,
``notify`` (systemd) and ``progress``.
"""

from brain.daemon.main_loop import run, serve

__all__ = ["run", "serve"]
