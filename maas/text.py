"""Text handling shared by the student and the emulator: terms for retrieval, token counts.

Retrieval terms are lower-cased words of two letters or more, without English stop words
(bm25s' list plus the filler words of conversational questions) and with plural and
third-person endings stripped, so that "lives" finds "live" and "dogs" finds "dog".
Token counts approximate an LLM tokenizer by counting words and punctuation marks.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bm25s.stopwords import STOPWORDS_EN_PLUS

# Words that carry no memory content in a question ("do you remember what I told you ...").
_CONVERSATIONAL = {
    "remember", "recall", "tell", "told", "say", "said", "mention", "mentioned", "know",
    "please", "again", "actually", "really", "also", "think", "could", "would", "anything",
    "something", "one", "thing", "things", "kind", "sort", "lot", "bit", "much", "many",
    "get", "got", "ever", "still", "yeah", "oh", "well", "okay", "ok", "hey", "hi",
}
STOPWORDS = frozenset(STOPWORDS_EN_PLUS) | _CONVERSATIONAL

_WORD = re.compile(r"\b\w\w+\b")
_TOKEN = re.compile(r"\w+|[^\w\s]")


def stem(word: str) -> str:
    """A light suffix stripper (plural and third-person -s, -es, -ies)."""
    if len(word) > 4 and word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=65536)  # dialogue texts repeat a lot: templates, fillers, questions
def terms(text: str) -> tuple[str, ...]:
    """Retrieval terms of a text, in order, duplicates kept."""
    return tuple(stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS)


@lru_cache(maxsize=65536)
def count_tokens(text: str) -> int:
    """Approximate LLM tokens: words and punctuation marks."""
    return len(_TOKEN.findall(text))


def mentions(text: str, phrase: str) -> bool:
    """Whether ``phrase`` occurs in ``text`` as whole words, ignoring case."""
    return re.search(r"(?<!\w)" + re.escape(phrase.lower()) + r"(?!\w)", text.lower()) is not None
