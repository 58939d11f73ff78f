"""The daemon shell: builds the parts, recovers after a restart, runs the main loop.

The one entry point is :func:`run` (:func:`serve` runs parts built elsewhere, as
tests do); the modules each hold one job: ``builder`` (the parts for a mode),
``identity`` (is this the run the data root holds: its manifest), ``site_zone`` (a replay's
site time zone), ``recovery`` (a restart), ``main_loop`` (the jobs and the run), ``poll_rule``
(which records a poll stores), ``sink`` (the door to storage), ``signals``,
``notify`` (systemd) and ``progress``.
"""

from brain.daemon.identity import DataRootConflictError
from brain.daemon.main_loop import run, serve

__all__ = ["DataRootConflictError", "run", "serve"]
