"""The estimator's verdicts equal the reviewed files in ``tests/estimator/expected/``.

When a test here fails after an intended change, regenerate the files
(``.venv/bin/python -m tests.estimator.expected_outputs``) and commit the diff
with the change: that diff is the review of what brain now says differently.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from tests.estimator.expected_outputs import EXPECTED, FIELD, SIMULATED, render_field, render_simulated


def _compare(name: str, rendered: dict[str, str], root: Path = EXPECTED) -> None:
    folder = root / name
    assert sorted(p.name for p in folder.iterdir()) == sorted(rendered), f"files of {name}"
    for file_name, text in rendered.items():
        expected = (folder / file_name).read_text(encoding="utf-8")
        if text != expected:
            diff = difflib.unified_diff(
                expected.splitlines(),
                text.splitlines(),
                f"expected/{name}/{file_name}",
                "now",
                lineterm="",
                n=1,
            )
            shown = "\n".join(list(diff)[:60])
            pytest.fail(f"{name}/{file_name} differs (regenerate and review if intended):\n{shown}")


@pytest.mark.parametrize("case", SIMULATED, ids=lambda case: case.name)
def test_simulated_day_gives_the_expected_records(case: object) -> None:
    _compare(case.name, render_simulated(case))  # type: ignore[attr-defined, arg-type]


@pytest.mark.field_data
@pytest.mark.parametrize("case", FIELD, ids=lambda case: case.name)
def test_field_log_gives_the_expected_verdicts(case: object, field_data: Path) -> None:
    _compare(case.name, render_field(case))  # type: ignore[attr-defined, arg-type]


def test_a_changed_verdict_fails_with_a_diff(tmp_path: Path) -> None:
    """The check can fail: one altered line of a stored file is reported as a diff."""
    case = SIMULATED[0]
    rendered = render_simulated(case)
    (tmp_path / case.name).mkdir()
    for file_name, text in rendered.items():
        (tmp_path / case.name / file_name).write_text(text.replace('"confidence":1.0', '"confidence":0.9', 1))
    with pytest.raises(pytest.fail.Exception, match="differs"):
        _compare(case.name, rendered, root=tmp_path)
