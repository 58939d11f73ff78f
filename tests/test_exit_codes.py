"""brain.exit_codes: one table of exit statuses, held verbatim by the docs an operator reads.

``--help`` is checked in tests/cli/test_cli.py and the unit's ``RestartPreventExitStatus=``
in tests/hardware/test_systemd_unit.py; each status is produced by a real command in the
tests of the part that returns it (usage and configuration errors: tests/reliability/test_config_errors.py).
"""

import pytest

from brain.exit_codes import RESTART_PREVENTED, ExitCode, exit_code_table, systemd_action
from tests.conftest import PROJECT_ROOT


@pytest.mark.parametrize("doc", ["operations.md", "deployment.md"])
def test_the_docs_hold_the_exit_code_table_verbatim(doc: str) -> None:
    text = (PROJECT_ROOT / "docs" / doc).read_text()
    assert exit_code_table() in text, f"docs/{doc}: paste brain.exit_codes.exit_code_table() again"
    # ... and no second, diverging table of codes next to it.
    assert text.count("| code |") == 1


def test_the_table_says_systemd_never_restarts_on_a_usage_error() -> None:
    rows = {int(row.split("|")[1]): row for row in exit_code_table().splitlines()[2:]}
    assert sorted(rows) == sorted(ExitCode)
    assert "not restarted" in rows[2] and "not restarted" in rows[78]
    assert "restarted after" in rows[1]
    assert all(
        ("**not restarted**" in systemd_action(code)) == (code in RESTART_PREVENTED) for code in ExitCode
    )
