"""Each package owns its settings section; brain.config only composes them.

That nothing below brain.config imports it is the layers contract (tests/test_architecture.py).
"""

from brain.config import BrainSettings
from brain.estimator.settings import EstimatorSection
from brain.logging import LoggingSettings
from brain.sources.replay import ReplaySettings
from brain.sources.synthetic.settings import SimulationSettings
from brain.storage.settings import StorageSettings


def test_every_section_is_the_model_its_package_owns() -> None:
    sections = {name: info.annotation for name, info in BrainSettings.model_fields.items()}
    assert sections["storage"] is StorageSettings
    assert sections["simulation"] is SimulationSettings
    assert sections["replay"] is ReplaySettings
    assert sections["estimator"] is EstimatorSection
    assert sections["logging"] is LoggingSettings
