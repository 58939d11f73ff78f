"""The loop that runs the daemon's jobs on an injected clock, and the triggers that say when.

The same jobs, triggers and loop run on the Pi and in simulation; only the clock
(:mod:`brain.clock`) differs. See ``docs/scheduling.md`` for the design and its limits.
"""

from brain.scheduler.event_loop import Scheduler
from brain.scheduler.triggers import TimestampTrigger, Trigger, every

__all__ = ["Scheduler", "TimestampTrigger", "Trigger", "every"]
