"""What one operation sees: a committed manifest, plus a transaction's staged partitions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tinydb.queries import QueryLike

from store.errors import StoreError
from store.filters import Probe
from store.manifest import LOG_KIND, Manifest, part_file_name, part_sort_key
from store.partition import Docs, PartitionCache


@dataclass
class Staged:
    """A transaction's changes: whole new partitions and the counters they moved."""

    base: Manifest
    parts: dict[tuple[str, str], Docs] = field(default_factory=dict)
    next_id: dict[str, int] = field(default_factory=dict)
    log_next_seq: int = 1
    log_head: str = ""
    ranges: dict[str, tuple[int, int]] = field(default_factory=dict)  # log segment -> (lo, hi) of `at`

    @classmethod
    def on(cls, base: Manifest) -> "Staged":
        return cls(base, {}, dict(base.next_id), base.log_next_seq, base.log_head, {})

    def savepoint(self) -> tuple:
        return (dict(self.parts), dict(self.next_id), self.log_next_seq, self.log_head, dict(self.ranges))

    def restore(self, point: tuple) -> None:
        parts, next_id, self.log_next_seq, self.log_head, ranges = point
        self.parts, self.next_id, self.ranges = dict(parts), dict(next_id), dict(ranges)


class View:
    def __init__(
        self, manifest: Manifest, cache: PartitionCache, data_dir: Path, staged: Staged | None = None
    ) -> None:
        self.manifest = manifest
        self._cache = cache
        self._dir = data_dir
        self.staged = staged

    def keys(self, kind: str) -> list[str]:
        staged = [k for (t, k) in self.staged.parts if t == kind] if self.staged is not None else []
        committed = self.manifest.keys(kind)  # sorted once per manifest
        if not staged:
            return committed
        return sorted(set(committed).union(staged), key=part_sort_key)

    def admits(self, kind: str, key: str, probe: Probe) -> bool:
        """Whether the partition may hold a match of ``probe`` (staged ones are not filtered)."""
        if self.staged is not None and (kind, key) in self.staged.parts:
            return True
        meta = self.manifest.part(kind, key)
        return meta is None or meta.admits(probe)

    def count(self, kind: str, key: str) -> int:
        if self.staged is not None and (kind, key) in self.staged.parts:
            return len(self.staged.parts[(kind, key)])
        meta = self.manifest.part(kind, key)
        return meta.count if meta else 0

    def total(self, kind: str) -> int:
        return sum(self.count(kind, key) for key in self.keys(kind))

    def at_range(self, key: str) -> tuple[int | None, int | None]:
        if self.staged is not None and key in self.staged.ranges:
            return self.staged.ranges[key]
        meta = self.manifest.part(LOG_KIND, key)
        return (meta.lo, meta.hi) if meta else (None, None)

    def docs(self, kind: str, key: str) -> Docs:
        if self.staged is not None and (kind, key) in self.staged.parts:
            return self.staged.parts[(kind, key)]
        meta = self.manifest.part(kind, key)
        return self._cache.load(kind, key, meta) if meta else {}

    def file_name(self, kind: str, key: str) -> str | None:
        """The committed file this view reads the partition from (None if staged or absent)."""
        if self.staged is not None and (kind, key) in self.staged.parts:
            return None
        meta = self.manifest.part(kind, key)
        return part_file_name(kind, key, meta.version) if meta else None

    def known_empty(self, name: str, cond: QueryLike) -> bool:
        return self._cache.known_empty(name, cond)

    def remember_empty(self, name: str, cond: QueryLike) -> None:
        self._cache.remember_empty(name, cond)

    def where(self, kind: str, key: str) -> str:
        """The file a document comes from, for error messages."""
        if self.staged is not None and (kind, key) in self.staged.parts:
            return f"{kind} partition {key} (uncommitted)"
        meta = self.manifest.part(kind, key)
        return str(self._dir / part_file_name(kind, key, meta.version)) if meta else f"{kind}/{key}"

    def stage(self, kind: str, key: str, docs: Docs) -> None:
        if self.staged is None:
            raise StoreError("write outside a transaction")
        self.staged.parts[(kind, key)] = docs

    @property
    def log_size(self) -> int:
        seq = self.staged.log_next_seq if self.staged is not None else self.manifest.log_next_seq
        return seq - 1
