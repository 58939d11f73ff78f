"""The command that installs an extra into the environment brain runs from, for error messages.

Why not simply "pip install 'brain[pi]'": brain is not on PyPI, so that line
would fetch somebody else's package, or nothing; on the Pi the venv is
root-owned and a bare ``pip`` is Debian's, which PEP 668 refuses to use. The
hint therefore names this interpreter's pip, the checkout or wheel brain was
installed from (pip records it in ``direct_url.json``, PEP 610), and ``sudo``
when this user cannot write to the environment.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from importlib.metadata import distributions
from urllib.parse import unquote, urlparse

UNKNOWN_SOURCE = "<brain checkout or wheel>"


def installed_from() -> str:
    """The local checkout or wheel brain was installed from, or a placeholder when pip did not record one."""
    # A build leaves brain.egg-info in a checkout, which shadows the installed record when run from there.
    records = (found.read_text("direct_url.json") for found in distributions(name="brain"))
    text = next((record for record in records if record), None)
    try:
        url = urlparse(json.loads(text or "")["url"])
    except (ValueError, KeyError, TypeError):
        return UNKNOWN_SOURCE
    return unquote(url.path) if url.scheme == "file" else UNKNOWN_SOURCE


def install_command(extra: str) -> str:
    """A shell command that installs brain's ``extra`` into the running environment."""
    sudo = "" if os.access(sys.prefix, os.W_OK) else "sudo "
    target = shlex.quote(f"{installed_from()}[{extra}]")
    return f"{sudo}{shlex.quote(sys.executable)} -m pip install {target}"
