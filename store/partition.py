"""TinyDB over one partition file, and a cache of partitions keyed by version.

Each partition file is a plain TinyDB database (``{"<table>": {"<doc id>":
{...}}}``) that stock TinyDB can open. The store hands TinyDB a storage bound
to one partition of the current view: reads come from the cache (or the
transaction's staged copy), writes go to the transaction, never to disk.

Documents are shared between the cache and TinyDB and never mutated in place:
a record is replaced by remove + insert (TinyDB's ``update`` would edit the
cached dict).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from store.errors import StoreCorrupt
from store.files import digest
from store.manifest import PartMeta, part_file_name

if TYPE_CHECKING:
    from store.view import View

Docs = dict[str, dict[str, Any]]


class PartitionStorage(Storage):
    """A TinyDB storage that is one partition of a store view."""

    def __init__(self, view: "View", kind: str, key: str) -> None:
        self._view, self._kind, self._key = view, kind, key

    def read(self) -> dict[str, Docs]:
        return {self._kind: self._view.docs(self._kind, self._key)}

    def write(self, data: dict[str, Docs]) -> None:
        self._view.stage(self._kind, self._key, data.get(self._kind, {}))


def partition_table(view: "View", kind: str, key: str) -> Table:
    return TinyDB(storage=PartitionStorage, view=view, kind=kind, key=key).table(kind, cache_size=0)


class PartitionCache:
    """Parsed partitions by file name (the name carries the version, so no entry goes stale).

    Bounded by the bytes of the files it holds. It also keeps each document's
    JSON text for the partitions written lately, so that appending one entry to
    a segment re-encodes one entry, not the segment.
    """

    def __init__(self, data_dir: Path, budget: int = 16 << 20, encoded_parts: int = 8) -> None:
        self._dir = data_dir
        self._budget = budget
        self._used = 0
        self._parts: OrderedDict[str, tuple[Docs, int]] = OrderedDict()
        self._encoded: OrderedDict[tuple[str, str], dict[str, tuple[dict[str, Any], str]]] = OrderedDict()
        self._encoded_parts = encoded_parts
        self._empty: OrderedDict[tuple[str, Any], None] = OrderedDict()  # (file, query) that match nothing
        self.pause_point: Callable[[], None] | None = None  # see Store.set_pause_point

    def load(self, kind: str, key: str, meta: PartMeta) -> Docs:
        """The documents of a partition; FileNotFoundError if it vanished (the caller retries)."""
        if self.pause_point is not None:
            self.pause_point()
        name = part_file_name(kind, key, meta.version)
        hit = self._parts.get(name)
        if hit is not None:
            self._parts.move_to_end(name)
            return hit[0]
        path = self._dir / name
        raw = path.read_bytes()
        if digest(raw) != meta.digest:
            raise StoreCorrupt(
                f"{path}: content does not match its seal in MANIFEST.json "
                f"({len(raw)} bytes; torn, truncated or edited outside the store)"
            )
        docs = parse_partition(raw, kind, path)
        self.put(name, docs, len(raw))
        return docs

    def put(self, name: str, docs: Docs, size: int) -> None:
        if name in self._parts:
            self._used -= self._parts.pop(name)[1]
        self._parts[name] = (docs, size)
        self._used += size
        while self._used > self._budget and len(self._parts) > 1:
            self._used -= self._parts.popitem(last=False)[1][1]

    def known_empty(self, name: str, cond: Any) -> bool:
        if not _cacheable(cond) or (name, cond) not in self._empty:
            return False
        self._empty.move_to_end((name, cond))
        return True

    def remember_empty(self, name: str, cond: Any, limit: int = 8192) -> None:
        if _cacheable(cond):
            self._empty[(name, cond)] = None
            while len(self._empty) > limit:
                self._empty.popitem(last=False)

    def encode(self, kind: str, key: str, docs: Docs) -> bytes:
        """The file bytes of a partition, documents in id order, reusing known encodings."""
        known = self._encoded.pop((kind, key), {})
        fresh: dict[str, tuple[dict[str, Any], str]] = {}
        pieces = []
        for doc_id in sorted(docs, key=int):
            doc = docs[doc_id]
            hit = known.get(doc_id)
            text = hit[1] if hit is not None and hit[0] is doc else _encode(doc)
            fresh[doc_id] = (doc, text)
            pieces.append(f'"{doc_id}":{text}')
        self._encoded[(kind, key)] = fresh
        while len(self._encoded) > self._encoded_parts:
            self._encoded.popitem(last=False)
        return ("{" + json.dumps(kind) + ":{" + ",".join(pieces) + "}}").encode("utf-8")


def _cacheable(cond: Any) -> bool:
    return bool(getattr(cond, "is_cacheable", lambda: False)())


def _encode(doc: Any) -> str:
    if type(doc) is dict and any(type(v) is bytes for v in doc.values()):  # a packed document
        return "{" + ",".join(f"{_encode(name)}:{value.decode('utf-8') if type(value) is bytes else _encode(value)}"
                              for name, value in doc.items()) + "}"
    return _dumps(doc)


def parse_partition(raw: bytes, kind: str, path: Path) -> Docs:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreCorrupt(f"{path}: not valid JSON ({exc})") from exc
    docs = data.get(kind) if isinstance(data, dict) else None
    if not isinstance(docs, dict) or not all(
        isinstance(k, str) and k.isdigit() and isinstance(v, dict) for k, v in docs.items()
    ):
        raise StoreCorrupt(f"{path}: not a TinyDB partition of table {kind!r}")
    return {doc_id: packed(doc) for doc_id, doc in docs.items()}


def packed(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with each array or object value kept as its JSON text, in bytes.

    A cached partition stays in memory for long, and a document holding a list or a
    dict is tracked by the garbage collector: with 100k log entries cached, each full
    collection walked 300k of them, 60-170 ms in which no other thread ran (the TUI
    froze, ``bench/bench_tui.py``). A dict of plain values and bytes is never tracked.
    JSON has no bytes, so a bytes value is always such a text: ``codec.load`` decodes
    it (a fresh copy for each record) and ``_encode`` writes it back as it was.
    """
    return {name: _text(value) if type(value) in _NESTED else value for name, value in doc.items()}


_NESTED = (list, dict)
_EMPTY = {list: b"[]", dict: b"{}"}
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # json.dumps builds one a call


def _text(value: list | dict) -> bytes:
    return _dumps(value).encode("utf-8") if value else _EMPTY[type(value)]
