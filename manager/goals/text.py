"""Cleaning a goal's text, telling its language, cutting it into fragments."""

from __future__ import annotations

import re
import unicodedata

MAX_GOAL_CHARS = 2000
"""A goal longer than this is refused whole rather than read in part."""

_DASHES = str.maketrans({"—": "-", "–": "-", "−": "-", "‒": "-", "’": "'", "‘": "'", "`": "'",
                         "≤": "<=", "≥": ">=", "ё": "е", "Ё": "Е", "«": '"', "»": '"', "“": '"', "”": '"'})

# Where a goal splits: ; , (not a decimal comma) newline . ! ? and the words и/and/но/but,
# plus, without consuming them, before "while keeping" style phrases that start a new clause.
_SPLIT = re.compile(
    r"\s*(?:;|(?<![0-9]),|,(?![0-9])|\n|\.(?=\s|$)|!|\?)\s*(?:(?:и|and|но|but|а)\s+)?"
    r"|\s+(?:и|and|но|but|а\s+также|as\s+well\s+as|плюс|plus|а)\s+"
    r"|\s+(?=при\s+сохранени|без\s+(?:потер|ухудшени|увеличени|роста|снижени)|while\s|(?<!while\s)keeping\s"
    r"|сохраняя\s|without\s+(?:losing|hurting|degrading|sacrificing|increasing|raising|reducing))",
    re.IGNORECASE)


def clean(text: str) -> str:
    """The text as shown back to the human: control characters gone, lines kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in text:
        if ch == "\n" or not unicodedata.category(ch).startswith("C"):
            out.append(ch)
        else:
            out.append(" ")
    lines = (re.sub(r"[ \t\u00a0\u2000-\u200b\u3000]+", " ", line).strip() for line in "".join(out).split("\n"))
    return "\n".join(line for line in lines if line)


def normalise(fragment: str) -> str:
    """The form every pattern reads: NFKC, lower case, ё→е, one kind of dash, decimal point."""
    text = unicodedata.normalize("NFKC", fragment).translate(_DASHES).lower().translate(_DASHES)
    text = re.sub(r"(?<=[0-9]),(?=[0-9])", ".", text)
    return re.sub(r"\s+", " ", text).strip()


def language(text: str) -> str:
    """'ru' when the goal has Russian words (metric ids are English either way), else 'en'."""
    return "ru" if re.search(r"[а-яА-ЯёЁ]{2,}", text) else "en"


def split(text: str) -> list[tuple[str, str]]:
    """Fragments of the cleaned text, each with the separator that preceded it."""
    pieces: list[tuple[str, str]] = []
    pos, sep = 0, ""
    for m in _SPLIT.finditer(text):
        if m.start() == m.end() and m.start() == pos:
            continue
        pieces.append((sep, text[pos:m.start()]))
        sep, pos = m.group(0), m.end()
    pieces.append((sep, text[pos:]))
    return [(s, f.strip()) for s, f in pieces if f.strip()]
