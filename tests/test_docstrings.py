"""brain.docstrings: a field's docstring read from the source, as pydantic's use_attribute_docstrings did."""

from __future__ import annotations

from pydantic import BaseModel

from brain.contracts import ObservationV1
from brain.docstrings import attribute_docstrings
from brain.sources.replay import ReplaySettings


class _Base:
    first: int = 1
    """The base's word.

    Second paragraph, indented in the source."""

    undocumented: int = 2
    not_a_field = 3
    """A docstring after a plain assignment documents no field."""


class _Derived(_Base):
    first: int = 4
    """The subclass's word wins."""


def test_a_field_is_described_by_the_string_under_it() -> None:
    docs = attribute_docstrings(ReplaySettings)

    assert docs["path"] == "File, run directory or data root to replay (never empty)."
    assert set(docs) == {"path", "on_malformed"}  # model_config has none


def test_bases_are_read_a_subclass_wins_and_text_is_cleaned() -> None:
    assert attribute_docstrings(_Base) == {
        "first": "The base's word.\n\nSecond paragraph, indented in the source."
    }
    assert attribute_docstrings(_Derived) == {"first": "The subclass's word wins."}


def test_a_record_reads_its_own_word_over_its_contract_base() -> None:
    docs = attribute_docstrings(ObservationV1)

    assert docs["schema_version"] == "1.0: the greenhouse's sensors; 1.1: also ``outside``."
    assert "sensors" in docs


def test_no_model_copies_its_docstrings_at_import() -> None:
    """Issue 29: pydantic's ``use_attribute_docstrings`` slowed the daemon's start."""
    import brain.config  # noqa: F401  (every settings model, and through it every record model)

    def subclasses(cls: type) -> list[type]:
        return [cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))]

    ours = [m for m in subclasses(BaseModel) if m.__module__.startswith("brain.")]
    assert len(ours) > 20  # the settings and the records were found
    assert [m.__name__ for m in ours if m.model_config.get("use_attribute_docstrings")] == []
