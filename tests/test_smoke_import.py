import importlib

import brain


def test_import_brain_package() -> None:
    assert brain.__version__
    for name in ("brain.contracts", "brain.errors", "brain.cli"):
        assert importlib.import_module(name).__name__ == name
