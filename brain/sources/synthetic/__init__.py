"""The synthetic greenhouse: a seeded model of a tomato house, its weather and injected scenarios.

``SyntheticSource`` is what ``--simulate`` polls; ``greenhouse_model`` holds the
physics, ``weather`` and ``sun`` the outside, ``scenarios`` the faults and weather
events a run can inject (docs/sources.md).
"""

from brain.sources.synthetic.scenarios import parse_scenario, scenario_help
from brain.sources.synthetic.source import SyntheticSource

__all__ = ["SyntheticSource", "parse_scenario", "scenario_help"]
