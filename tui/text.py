"""User-provided text shown literally: no Rich markup, no terminal control sequences.

Goal texts, reasons and rule messages come from people and files; a ``[bold]`` in
them is text, and an escape sequence must never reach the terminal.
"""

from __future__ import annotations

import re

from rich.text import Text

# C0 controls except newline and tab, DEL, and C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def safe(value: object) -> str:
    """The text with control characters written out as ``\\xNN``."""
    return _CONTROL.sub(_visible, str(value))


def one_line(value: object, limit: int | None = None) -> str:
    """``safe`` on one line (newlines and tabs become spaces), cut at ``limit`` with an ellipsis."""
    text = " ".join(safe(value).split())
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text


def literal(value: object, style: str = "") -> Text:
    """A Rich ``Text`` that shows ``value`` exactly (markup is not parsed)."""
    return Text(safe(value), style=style)


def line(value: object, style: str = "", limit: int | None = None) -> Text:
    """A one-line literal ``Text``."""
    return Text(one_line(value, limit), style=style, no_wrap=True, overflow="ellipsis")
