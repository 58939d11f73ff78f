"""Finding a source plugin among the installed packages (the Pi's ``hardware`` source is one).

Why here and not in the daemon: both the daemon's builder and ``brain config check``
look a plugin up, and neither should have to import the other to do it. The
group name and the protocol a plugin meets are in :mod:`brain.sources.base`.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from brain.errors import ConfigError
from brain.install_hint import install_command
from brain.sources.base import ENTRY_POINT_GROUP, SourcePlugin


def load_plugin(name: str) -> SourcePlugin:
    """Find the source plugin ``name`` among the installed ``brain.sources`` entry points."""
    found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    if not found:
        # brain's own metadata registers ``hardware``: missing, the install is broken or partial.
        raise ConfigError(
            f"no installed source plugin {name!r} (reinstall brain on the Pi: {install_command('pi')}; "
            "or use --simulate / --replay PATH)",
            key="source",
        )
    plugin: SourcePlugin = found[0].load()
    return plugin
