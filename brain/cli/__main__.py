"""``python -m brain.cli TOOL ...`` runs the ``brain`` tools, as the ``brain`` console script does."""

import sys

from brain.cli.tools import tools_main

sys.exit(tools_main())
