"""A Bloom filter per partition over the values of its lookup fields, so a find skips
partitions that cannot hold a match.

``find(Task, state="running")`` used to read every partition of the table: with 10,000
experiments of history that is 800 files for an answer of one record. Each partition's
row in the manifest now carries a filter of the (field, value) pairs its documents hold
for the fields in ``FIELDS``; a query reads only the partitions whose filters admit all
of its pairs. A filter can say "maybe" wrongly (for about 1 partition in 40,000 that does
not hold the value) but never "no" wrongly, so answers do not change: only how much is read.
The rate matters for lookups of a value met once (a version, an experiment): each wrong
"maybe" reads and parses a partition file.

Values are compared as Python compares them, because TinyDB's ``==`` does: ``True``,
``1`` and ``1.0`` are one value, ``"1"`` another. A query value that is a list or a
dict is not filtered on. The scheme (fields, sizes, hash) is kept in the manifest;
rows written under another scheme, or by a version without filters, are rebuilt when
a writer opens the store (``Store._add_filters``).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any, Iterable, Mapping

# Fields that the Manager and the TUI look records up by (any table that has them).
FIELDS = ("state", "campaign_id", "experiment_id", "source", "version", "active", "applied_version", "kind")
BITS_PER_VALUE = 32  # with PROBES = 6: about 0.0025% false "maybe" per value and partition
PROBES = 6
WORD = 64  # filter sizes are multiples of this many bits
SCHEME = f"bloom2-blake2b-k{PROBES}-b{BITS_PER_VALUE}:" + ",".join(FIELDS)


def token(field: str, value: Any) -> bytes | None:
    """The bytes a (field, value) pair is hashed as; equal values (by ``==``) give equal bytes.

    None for values that are not JSON scalars: those are never filtered on.
    """
    if value is None:
        text = b"n"
    elif isinstance(value, (bool, int)):
        text = b"i%d" % int(value)
    elif isinstance(value, float):
        text = b"i%d" % int(value) if value.is_integer() else b"f" + repr(value).encode()
    elif isinstance(value, str):
        text = b"s" + value.encode("utf-8", "surrogatepass")
    else:
        return None
    return field.encode() + b"\x00" + text


@lru_cache(maxsize=1 << 13)
def _hashes(pair: bytes) -> tuple[int, ...]:
    # Independent positions: h1 + i*h2 (double hashing) lines probes up in progressions that
    # overlap in filters of a few hundred bits, and said "maybe" 50 times too often.
    raw = hashlib.blake2b(pair, digest_size=4 * PROBES).digest()
    return tuple(int.from_bytes(raw[4 * i : 4 * i + 4], "big") for i in range(PROBES))


def _mask(pair: bytes, size: int) -> int:
    mask = 0
    for h in _hashes(pair):
        mask |= 1 << (h % size)
    return mask


_SCALARS = (str, int, float, bool, type(None))


def build(docs: Iterable[Mapping[str, Any]]) -> str:
    """The filter of these documents, as stored (hex; its length gives its size)."""
    values = set()  # (field, value): a set lumps 1 and True together, as their tokens do
    for doc in docs:
        for field in FIELDS:
            if field in doc and isinstance(doc[field], _SCALARS):
                values.add((field, doc[field]))
    pairs = {token(field, value) for field, value in values}
    size = max(WORD, -(-len(pairs) * BITS_PER_VALUE // WORD) * WORD)
    bits = 0
    for pair in pairs:
        bits |= _mask(pair, size)
    return to_text(size, bits)


def to_text(size: int, bits: int) -> str:
    return format(bits, f"0{size // 4}x")


def from_text(text: str) -> tuple[int, int]:
    if not text or len(text) % (WORD // 4) or text.strip("0123456789abcdef"):
        raise ValueError(f"bad partition filter {text[:40]!r}")
    return len(text) * 4, int(text, 16)


class Probe:
    """The filter test of one query: ``admits(size, bits)`` is False only where nothing can match."""

    __slots__ = ("pairs", "_masks")

    def __init__(self, equals: Mapping[str, Any]) -> None:
        pairs = [token(field, value) for field, value in equals.items() if field in FIELDS]
        self.pairs = tuple(p for p in pairs if p is not None)
        self._masks: dict[int, int] = {}

    def __bool__(self) -> bool:
        return bool(self.pairs)

    def admits(self, size: int, bits: int) -> bool:
        if not size:  # a partition without a filter may hold anything
            return True
        mask = self._masks.get(size)
        if mask is None:
            mask = 0
            for pair in self.pairs:
                mask |= _mask(pair, size)
            self._masks[size] = mask
        return bits & mask == mask
