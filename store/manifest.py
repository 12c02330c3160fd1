"""MANIFEST.json: the one file whose atomic replacement commits a transaction.

The manifest names the current version of every partition with its size and
seal (a digest of its bytes), the id counters and the head of the change log.
A partition file is never rewritten in place: a commit writes new versions under
new names, then replaces the manifest. A crash before that rename leaves the
old manifest pointing at the old, intact files; the new ones are orphans that
the next opener deletes.

Each row also carries a filter of the values the partition holds for the lookup
fields (``store.filters``), so that a query reads only partitions that may match.

So that the manifest does not grow with history, a table's partition rows live
in two places: rows changed lately ("hot") in MANIFEST.json itself, the rest in
the table's index file (``data/<table>.index.g<generation>.json``), which the
manifest names and seals like a partition. When a table has more than
HOT_LIMIT hot rows, the commit folds them into a new index file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from store import filters
from store.errors import StoreCorrupt
from store.files import digest, dump_compact

FORMAT = 2  # 2: rows carry filters. Format 1 (no filters) is read, and rebuilt by a writer.
READS = (1, 2)
MANIFEST_NAME = "MANIFEST.json"
DATA_DIR = "data"
LOG_KIND = "change_log"
GENESIS = "0" * 64
PART_SIZE = 64  # records per partition: a commit rewrites at most this many
SEGMENT_SIZE = 256  # change-log entries per segment
HOT_LIMIT = 8  # partition rows per table kept in MANIFEST.json before folding (rows carry filters)

INDEX_KEY = "index"
PART_FILE = re.compile(r"^([a-z][a-z0-9_]*)\.(\d{5,}|x\d{2}|index)\.g(\d{10,})\.json$")
_KIND = re.compile(r"[a-z][a-z0-9_]*")
_KEY = re.compile(r"\d{5,}|x\d{2}")

Row = list[Any]


def part_sort_key(key: str) -> tuple[int, int, str]:
    """Numbered partitions in number order, then the buckets of free-form ids."""
    return (0, int(key), "") if key.isdigit() else (1, 0, key)


def part_file_name(kind: str, key: str, version: int) -> str:
    return f"{kind}.{key}.g{version:010d}.json"


@dataclass(frozen=True, slots=True)
class PartMeta:
    version: int
    count: int
    digest: str
    lo: int | None = None  # earliest `at` of a log segment, epoch microseconds
    hi: int | None = None  # latest `at`
    filter: str = ""  # the filter of its lookup values as stored (hex); "": none, may hold anything
    filter_size: int = field(default=0, init=False, repr=False, compare=False)  # parsed from ``filter``
    filter_bits: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.filter:
            size, bits = filters.from_text(self.filter)
            object.__setattr__(self, "filter_size", size)
            object.__setattr__(self, "filter_bits", bits)

    def as_row(self) -> Row:
        row: Row = [self.version, self.count, self.digest]
        if self.lo is not None:
            row += [self.lo, self.hi]
        if self.filter:
            row.append(self.filter)
        return row

    @classmethod
    def from_row(cls, kind: str, key: str, row: Any) -> "PartMeta":
        """A row: version, count, seal, then lo and hi for a log segment, then the filter (format 2)."""
        if not _KEY.fullmatch(key):
            raise ValueError(f"bad partition key {kind}/{key!r}")
        if not isinstance(row, list) or not 3 <= len(row) <= 6:
            raise ValueError(f"bad partition row {kind}/{key}: {row!r}")
        version, count, seal, *rest = row
        text = ""
        if len(rest) in (1, 3):
            if not isinstance(rest[-1], str):
                raise ValueError(f"bad partition row {kind}/{key}: {row!r}")
            text = rest.pop()
        lo, hi = rest if rest else (None, None)
        if not (isinstance(version, int) and isinstance(count, int) and isinstance(seal, str)):
            raise ValueError(f"bad partition row {kind}/{key}: {row!r}")
        return cls(version, count, seal, lo, hi, text)

    def unfiltered(self) -> "PartMeta":
        return PartMeta(self.version, self.count, self.digest, self.lo, self.hi)

    def admits(self, probe: filters.Probe) -> bool:
        """False only if the partition holds no document the probe's query can match."""
        return probe.admits(self.filter_size, self.filter_bits)


@dataclass(frozen=True, slots=True)
class IndexRef:
    """A table's index file: the generation that wrote it and its seal."""

    version: int
    digest: str

    def file_name(self, kind: str) -> str:
        return part_file_name(kind, INDEX_KEY, self.version)


def index_bytes(kind: str, rows: dict[str, PartMeta]) -> bytes:
    return dump_compact({"index_of": kind, "rows": {k: rows[k].as_row() for k in sorted(rows, key=part_sort_key)}})


def parse_index(raw: bytes, kind: str, path: Path) -> dict[str, PartMeta]:
    try:
        doc = json.loads(raw)
        if doc.get("index_of") != kind:
            raise ValueError(f"not the index of {kind!r}")
        return {key: PartMeta.from_row(kind, key, row) for key, row in doc["rows"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StoreCorrupt(f"{path}: not a partition index ({type(exc).__name__}: {exc})") from exc


IndexReader = Callable[[str, IndexRef], dict[str, PartMeta]]


@dataclass(slots=True)
class Manifest:
    """One committed state. Never changed once built: a commit builds a successor."""

    generation: int = 0
    part_size: int = PART_SIZE
    segment_size: int = SEGMENT_SIZE
    next_id: dict[str, int] = field(default_factory=dict)
    log_next_seq: int = 1
    log_head: str = GENESIS
    parts: dict[str, dict[str, PartMeta]] = field(default_factory=dict)  # every partition of every table
    index: dict[str, IndexRef] = field(default_factory=dict)  # table -> its index file
    hot: dict[str, frozenset[str]] = field(default_factory=dict)  # table -> rows kept in the manifest
    # The filter scheme of the rows (None: rows without filters, written before them or under
    # another scheme; a writer rebuilds them before its first commit).
    filter_scheme: str | None = filters.SCHEME
    _order: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)

    def part(self, kind: str, key: str) -> PartMeta | None:
        return self.parts.get(kind, {}).get(key)

    def keys(self, kind: str) -> list[str]:
        order = self._order.get(kind)
        if order is None:
            order = self._order[kind] = sorted(self.parts.get(kind, {}), key=part_sort_key)
        return order

    def count(self, kind: str) -> int:
        return sum(meta.count for meta in self.parts.get(kind, {}).values())

    def needs_filters(self) -> bool:
        """Rows without filters of the current scheme exist (a store from before them)."""
        return self.filter_scheme != filters.SCHEME and any(self.parts.values())

    def file_names(self) -> set[str]:
        names = {
            part_file_name(kind, key, meta.version)
            for kind, parts in self.parts.items()
            for key, meta in parts.items()
        }
        return names | {ref.file_name(kind) for kind, ref in self.index.items()}

    def successor(
        self,
        changed: dict[str, dict[str, PartMeta]],
        next_id: dict[str, int],
        log_next_seq: int,
        log_head: str,
    ) -> tuple["Manifest", list[tuple[str, bytes]]]:
        """The next generation, and the index files (table, bytes) it needs written first.

        Partitions in ``changed`` are replaced or added; everything else is shared. Rows
        are of the current filter scheme: the writer rebuilt older ones first.
        """
        generation = self.generation + 1
        parts, index, hot, order = dict(self.parts), dict(self.index), dict(self.hot), dict(self._order)
        files: list[tuple[str, bytes]] = []
        for kind, rows in changed.items():
            merged = dict(self.parts.get(kind, {}))
            if any(key not in merged for key in rows):
                order.pop(kind, None)
            merged.update(rows)
            parts[kind] = merged
            hot_keys = self.hot.get(kind, frozenset()) | rows.keys()
            if len(hot_keys) > HOT_LIMIT:
                raw = index_bytes(kind, merged)
                index[kind] = IndexRef(generation, digest(raw))
                hot[kind] = frozenset()
                files.append((kind, raw))
            else:
                hot[kind] = frozenset(hot_keys)
        successor = Manifest(
            generation, self.part_size, self.segment_size, dict(next_id), log_next_seq, log_head, parts, index, hot,
            filters.SCHEME, order,
        )
        return successor, files

    def to_bytes(self) -> bytes:
        tables = {}
        for kind in sorted(self.parts):
            ref = self.index.get(kind)
            rows = self.parts[kind]
            hot = self.hot.get(kind, frozenset()) if ref is not None else rows.keys()
            tables[kind] = {
                "index": [ref.version, ref.digest] if ref is not None else None,
                "rows": {key: rows[key].as_row() for key in sorted(hot, key=part_sort_key)},
            }
        return dump_compact(
            {
                "format": FORMAT,
                "generation": self.generation,
                "part_size": self.part_size,
                "segment_size": self.segment_size,
                "next_id": dict(sorted(self.next_id.items())),
                "log": {"next_seq": self.log_next_seq, "head": self.log_head},
                "filters": self.filter_scheme,
                "tables": tables,
            }
        )

    @classmethod
    def from_bytes(cls, raw: bytes, path: Path, read_index: IndexReader) -> "Manifest":
        try:
            doc = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StoreCorrupt(f"{path}: not valid JSON ({exc}); the file is torn or was edited") from exc
        try:
            return cls._from_doc(doc, read_index)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StoreCorrupt(f"{path}: not a store manifest ({type(exc).__name__}: {exc})") from exc

    @classmethod
    def _from_doc(cls, doc: dict[str, Any], read_index: IndexReader) -> "Manifest":
        if doc["format"] not in READS:
            raise ValueError(f"format {doc['format']!r}, this version reads {' and '.join(map(str, READS))}")
        scheme = doc.get("filters")
        parts: dict[str, dict[str, PartMeta]] = {}
        index: dict[str, IndexRef] = {}
        hot: dict[str, frozenset[str]] = {}
        for kind, table in doc["tables"].items():
            if not _KIND.fullmatch(kind):
                raise ValueError(f"bad table name {kind!r}")
            rows: dict[str, PartMeta] = {}
            if table["index"] is not None:
                version, seal = table["index"]
                index[kind] = IndexRef(int(version), str(seal))
                rows.update(read_index(kind, index[kind]))
            hot_rows = {key: PartMeta.from_row(kind, key, row) for key, row in table["rows"].items()}
            rows.update(hot_rows)
            if scheme != filters.SCHEME:  # filters of another scheme would answer wrongly: none at all
                rows = {key: meta.unfiltered() for key, meta in rows.items()}
            parts[kind] = rows
            hot[kind] = frozenset(hot_rows)
        manifest = cls(
            generation=int(doc["generation"]),
            part_size=int(doc["part_size"]),
            segment_size=int(doc["segment_size"]),
            next_id={str(k): int(v) for k, v in doc["next_id"].items()},
            log_next_seq=int(doc["log"]["next_seq"]),
            log_head=str(doc["log"]["head"]),
            parts=parts,
            index=index,
            hot=hot,
            filter_scheme=scheme if scheme == filters.SCHEME else None,
        )
        if manifest.part_size < 1 or manifest.segment_size < 1:
            raise ValueError("partition sizes must be positive")
        return manifest


def read_manifest(store_dir: Path) -> Manifest:
    """The committed manifest of a store folder, read straight from disk (for tools and tests)."""
    data = store_dir / DATA_DIR

    def read_index(kind: str, ref: IndexRef) -> dict[str, PartMeta]:
        path = data / ref.file_name(kind)
        raw = path.read_bytes()
        if digest(raw) != ref.digest:
            raise StoreCorrupt(f"{path}: content does not match its seal in {MANIFEST_NAME}")
        return parse_index(raw, kind, path)

    path = store_dir / MANIFEST_NAME
    return Manifest.from_bytes(path.read_bytes(), path, read_index)
