"""brain: the greenhouse climate daemon's pure core.

The package holds everything that does not touch hardware: contracts, sources,
estimator, storage, timing and the daemon's wiring. Pi drivers live in the
sibling package ``hardware``, which ``brain`` never imports.
"""

__version__ = "0.1.0"
