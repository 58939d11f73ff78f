"""Finding a source plugin among the installed packages."""

from __future__ import annotations

import pytest

from brain.errors import ConfigError
from brain.sources.plugins import load_plugin


def test_the_installed_hardware_plugin_is_found() -> None:
    plugin = load_plugin("hardware")
    assert callable(plugin.check) and callable(plugin.build)


def test_a_plugin_not_installed_is_a_config_error_on_source() -> None:
    with pytest.raises(ConfigError, match="no installed source plugin 'greenhouse-x'") as caught:
        load_plugin("greenhouse-x")
    assert caught.value.key == "source"
    assert "-m pip install" in str(caught.value) and "[pi]" in str(caught.value)
