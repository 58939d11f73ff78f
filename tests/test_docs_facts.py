"""Facts the docs state about the code, checked against the code (issue 25: each of these had drifted).

Where the uplink keeps its cursors, what it writes in the data root, which exit statuses
systemd does not restart on, that a reader's clone has no ``../shared``, and that the README's
quickstart shows a user commands, not the docs test's conventions.
"""

from __future__ import annotations

import re

import pytest

from brain.exit_codes import RESTART_PREVENTED
from brain.report.uplink_cursors import CURSOR_DIR as STATUS_CURSOR_DIR
from brain.uplink.cursor import CURSOR_DIR
from tests.conftest import PROJECT_ROOT
from tests.test_docs_commands import DOCUMENTS, fences

DOCS = {path.relative_to(PROJECT_ROOT).as_posix(): path.read_text(encoding="utf-8") for path in DOCUMENTS}


def test_the_cursor_folder_the_docs_name_is_the_uplinks() -> None:
    assert CURSOR_DIR == STATUS_CURSOR_DIR == "uplink"
    assert f"DATA_ROOT/{CURSOR_DIR}/" in DOCS["docs/operations.md"]
    assert f"DATA_ROOT/{CURSOR_DIR}/" in DOCS["docs/fleet.md"]
    for name, text in DOCS.items():
        assert ".uplink/cursors" not in text, f"{name}: the cursors are in DATA_ROOT/{CURSOR_DIR}/"


def test_no_doc_says_the_uplink_never_writes_to_the_data_root() -> None:
    for name, text in DOCS.items():
        flat = " ".join(text.split())
        assert not re.search(r"never writes? (in|to) the data root", flat), f"{name}: its cursors are there"


def unit_restart_prevented(unit: str) -> set[int]:
    text = (PROJECT_ROOT / "systemd" / unit).read_text()
    [line] = [line for line in text.splitlines() if line.startswith("RestartPreventExitStatus=")]
    return {int(code) for code in line.split("=", 1)[1].split()}


def test_every_restart_prevent_list_in_the_docs_is_the_units() -> None:
    daemon = unit_restart_prevented("brain.service")
    assert daemon == {int(code) for code in RESTART_PREVENTED}
    lists = {
        (name, frozenset(int(code) for code in found.split()))
        for name, text in DOCS.items()
        for found in re.findall(r"RestartPreventExitStatus=([\d ]*\d)", text)
    }
    assert lists, "the docs quote the unit's list somewhere"
    uplink = unit_restart_prevented("brain-uplink.service")
    for name, codes in lists:
        assert codes in (daemon, uplink), (
            f"{name}: RestartPreventExitStatus={sorted(codes)} is neither unit's"
        )


@pytest.mark.parametrize("name", ["README.md", "docs/sources.md"])
def test_a_users_doc_sends_nobody_to_shared(name: str) -> None:
    assert "../shared" not in DOCS[name], f"{name}: a user's clone has no ../shared"


def test_the_readme_quickstart_shows_no_docs_test_marker() -> None:
    readme = PROJECT_ROOT / "README.md"
    quickstart = DOCS["README.md"].split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = [fence for fence in fences(readme) if "\n".join(fence.lines) in quickstart]
    assert blocks, "the quickstart has a command block"
    for fence in blocks:
        for line in fence.lines:
            assert "not run" not in line and "exits " not in line, f"README quickstart: {line}"
