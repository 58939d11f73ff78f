"""Field documentation read from the source: the string under ``name: type = default`` in a class.

brain documents every model field with such an attribute docstring. pydantic can copy them
into its field descriptions when a class is built (``use_attribute_docstrings``), but on
Python 3.11 it finds each class's source by walking the import stack, and that was about
45 ms of the daemon's start to READY (issue 29) for text nothing reads at run time. So the
models do not ask for it; the two readers ask here when they need the text: the JSON Schema
export (:mod:`brain.contracts.schemas`) and the tests that every field is described.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import textwrap


def attribute_docstrings(cls: type) -> dict[str, str]:
    """Each field's docstring in ``cls`` and its bases from the same package (a subclass's wins), cleaned.

    Bases from elsewhere (pydantic's ``BaseModel``, ``object``) document no field of ours.
    """
    package = cls.__module__.split(".")[0]
    docs: dict[str, str] = {}
    for owner in reversed([c for c in cls.__mro__ if c.__module__.split(".")[0] == package]):
        node = ast.parse(textwrap.dedent(inspect.getsource(owner))).body[0]
        if not isinstance(node, ast.ClassDef):
            continue
        for field, doc in itertools.pairwise(node.body):
            if (
                isinstance(field, ast.AnnAssign)
                and isinstance(field.target, ast.Name)
                and isinstance(doc, ast.Expr)
                and isinstance(doc.value, ast.Constant)
                and isinstance(doc.value.value, str)
            ):
                docs[field.target.id] = inspect.cleandoc(doc.value.value)
    return docs
