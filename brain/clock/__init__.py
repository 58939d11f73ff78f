"""Time for the daemon: a clock that is either real (the Pi) or simulated (CI, replay).

Everything that waits or asks for the time gets a :class:`Clock` handed in, so a
simulated day and a year on the Pi go through the same code; ``docs/scheduling.md``
has the design.
"""

from brain.clock.clocks import Clock, RealClock, SimClock
from brain.clock.stop import StopSignal

__all__ = ["Clock", "RealClock", "SimClock", "StopSignal"]
