"""Time for the daemon: a clock that is either real or simulated, and the loop that runs jobs on it.

The same jobs, triggers and loop run on the Pi and in simulation; only the clock
differs. See ``docs/scheduling.md`` for the design and its limits.
"""
