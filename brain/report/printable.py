r"""Text from a data root made safe to print on a terminal: control characters shown, never obeyed.

Why: a data root is input like any other. A manifest, a part's or a cursor's name, or a
sensor's error text holding ``ESC [2J`` or an OSC sequence would clear the operator's screen,
retitle the terminal or hide a line when ``brain status`` or ``brain report`` prints it.
Every C0 and C1 control character and DEL is replaced by its ``\\xNN`` escape (a newline
too: a value must not forge a line of the screen).
"""

from __future__ import annotations

_ESCAPES = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}
"""C0 controls, DEL and C1 controls, each to its escape (a table for ``str.translate``)."""


def printable(text: str) -> str:
    r"""``text`` with every control character written as ``\\xNN``."""
    return text.translate(_ESCAPES)


def printable_lines(text: str) -> str:
    """A block of lines made printable line by line: its own newlines kept, nothing else obeyed."""
    return "\n".join(printable(line) for line in text.split("\n"))
