"""The Manager's store: TinyDB documents in small partitions, committed atomically.

Layout of a store folder::

    MANIFEST.json     the commit point (see store.manifest)
    writer.lock       held around every transaction
    engine.lock       held by the one running engine (holds its pid)
    data/<table>.<partition>.g<generation>.json   TinyDB files, never rewritten
    data/<table>.index.g<generation>.json         partition rows folded out of the manifest

A commit writes the partitions it changed under new names, fsyncs them, then
replaces MANIFEST.json (temp file, fsync, rename, fsync the folder). Readers
take no lock: they read the manifest, then the files it names, and retry if a
writer removed a superseded file in between. A read that loses that race
READ_RETRIES times (a writer committing faster than it reads) holds writer.lock
shared for one last try, which needs no write access (a read-only mount).

Each partition's row carries a filter of its lookup values (``store.filters``), so a
find by state, campaign, version, ... reads only the partitions that may match. A
store written before filters gets them from the first writer that opens it.
"""

from __future__ import annotations

import errno
import os
import threading
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TypeVar

from tinydb import where
from tinydb.table import Document

from store import codec, crashpoint, filters
from store.chain import LogVerification, entry_hash, verify_chain
from store.errors import NotFound, StoreCorrupt, StoreError
from store.files import TMP_SUFFIX, digest, ensure_dir, fsync_dir, replace_atomic, write_durable
from store.locks import EngineLock, WriterLock
from store.manifest import (
    DATA_DIR,
    LOG_KIND,
    MANIFEST_NAME,
    PART_FILE,
    IndexRef,
    Manifest,
    PartMeta,
    parse_index,
    part_file_name,
)
from store.models import ChangeLogEntry, Record, utcnow
from store.partition import Docs, PartitionCache, partition_table
from store.query import check_window, query, walk
from store.query import count as count_matching
from store.view import Staged, View

R = TypeVar("R", bound=Record)
PAUSE_EVERY = 20  # records decoded between two calls of the pause point (about 1 ms of work)
READ_RETRIES = 8  # lock-free tries of one read; then it holds writers off (writer.lock shared) for one more


class _KeptMoving(StoreError):
    """Commits kept replacing the files one read needed (a busy writer): the read tries again."""


class Store:
    """Open with ``Store.open(path)``; see the module docstring for the layout."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self._data = path / DATA_DIR
        self._manifest_path = path / MANIFEST_NAME
        self._mutex = threading.RLock()
        self._writer = WriterLock(path)
        self._engine = EngineLock(path)
        self._cache = PartitionCache(self._data)
        self._manifest = Manifest()
        self._raw: bytes | None = None
        self._indexes: dict[str, tuple[IndexRef, dict[str, PartMeta]]] = {}  # table -> its parsed index
        self._staged: Staged | None = None
        self._closed = False
        # Tests set this to crash or fail at a named step of a commit (see store.crashpoint).
        self._commit_hook: Callable[[str], None] | None = crashpoint.hook_from_env()

    # ---- opening -------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, *, read_only: bool = False) -> "Store":
        """Open the store at ``path``, creating it if missing and clearing what a crash left.

        ``read_only``: create, lock and clear nothing (a read-only mount, a reviewer who only
        looks); the store must exist, and every write raises StoreError before touching disk.
        Readers skip what a crash left; the next writer clears it.
        """
        path = Path(path)
        if read_only and not (path / MANIFEST_NAME).is_file():
            raise StoreError(f"no store at {path}: {MANIFEST_NAME} is missing (opened read-only: nothing was created)")
        try:
            if read_only:
                store = cls(path, read_only=True)
                store._read(lambda view: None)  # the manifest, parsed (a busy writer: retried)
            else:
                ensure_dir(path)
                ensure_dir(path / DATA_DIR)
                store = cls(path)
                store._recover()
        except StoreError:
            raise
        except OSError as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        return store

    def _check_writable(self, what: str) -> None:
        if self.read_only:
            raise StoreError(f"{what} refused: the store at {self.path} is open read-only")

    def _recover(self) -> None:
        if not self._writer.try_acquire():
            if self._manifest_path.exists():
                self._read(lambda view: None)  # a writer is busy; it or the next opener sweeps
                return
            self._writer.acquire()
        try:
            if not self._manifest_path.exists():
                leftovers = [n for n in os.listdir(self._data) if PART_FILE.match(n)]
                if leftovers:
                    raise StoreCorrupt(
                        f"{self._manifest_path} is missing but {self._data} holds {len(leftovers)} "
                        "partition files; refusing to start an empty store over them"
                    )
                replace_atomic(self._manifest_path, Manifest().to_bytes())
            self._refresh()
            self._sweep()
            try:
                self._add_filters()
            except StoreCorrupt:
                raise
            except StoreError:  # the commit failed (a read-only disk): it reads, unfiltered
                pass
        finally:
            self._writer.release()

    def _sweep(self) -> None:
        """Delete temp files and partitions no manifest names (left by a crash). Under the writer lock."""
        for folder in (self.path, self._data):
            for name in os.listdir(folder):
                if name.endswith(TMP_SUFFIX):
                    (folder / name).unlink(missing_ok=True)
        live = self._manifest.file_names()
        for name in os.listdir(self._data):
            if PART_FILE.match(name) and name not in live:
                (self._data / name).unlink(missing_ok=True)

    def _refresh(self) -> None:
        """Load the manifest if another commit replaced it (compared by content, so never stale)."""
        for _ in range(READ_RETRIES):
            try:
                raw = self._manifest_path.read_bytes()
            except FileNotFoundError:
                raise StoreCorrupt(f"{self._manifest_path} is missing") from None
            if raw == self._raw:
                return
            try:
                self._manifest = Manifest.from_bytes(raw, self._manifest_path, self._read_index)
            except FileNotFoundError as exc:  # a writer folded the index again meanwhile?
                if self._manifest_path.read_bytes() == raw:
                    raise StoreCorrupt(f"{exc.filename}: index file is missing although {self._manifest_path} names it") from None
                continue
            self._raw = raw
            return
        raise _KeptMoving(f"{self._manifest_path} changed {READ_RETRIES} times while being read; try again")

    def _read_index(self, kind: str, ref: IndexRef) -> dict[str, PartMeta]:
        cached = self._indexes.get(kind)
        if cached is not None and cached[0] == ref:
            return cached[1]
        path = self._data / ref.file_name(kind)
        raw = path.read_bytes()
        if digest(raw) != ref.digest:
            raise StoreCorrupt(f"{path}: content does not match its seal in {MANIFEST_NAME} (torn or edited)")
        rows = parse_index(raw, kind, path)
        self._indexes[kind] = (ref, rows)
        return rows

    def close(self) -> None:
        with self._mutex:
            self._closed = True

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"store {self.path} is closed")

    # ---- reading -------------------------------------------------------------

    def _read(self, fn: Callable[[View], Any]) -> Any:
        with self._mutex:
            self._check_open()
            if self._staged is not None:
                return fn(self._view(self._staged))
            for _ in range(READ_RETRIES):
                try:
                    self._refresh()
                    return fn(self._view())
                except FileNotFoundError as exc:  # a commit removed a file this read still wanted?
                    if not self._moved_on():
                        raise self._missing(exc) from None
                except _KeptMoving:
                    pass
            # A writer commits faster than this read runs: hold commits off for one read.
            with self._writer.shared():
                self._refresh()
                try:
                    return fn(self._view())
                except FileNotFoundError as exc:
                    raise self._missing(exc) from None

    def _moved_on(self) -> bool:
        """Whether a commit replaced the manifest since this store last loaded it."""
        try:
            return self._manifest_path.read_bytes() != self._raw
        except FileNotFoundError:
            raise StoreCorrupt(f"{self._manifest_path} is missing") from None

    def _missing(self, exc: FileNotFoundError) -> StoreCorrupt:
        return StoreCorrupt(f"{exc.filename}: partition file is missing although {self._manifest_path} names it")

    def _view(self, staged: Staged | None = None) -> View:
        manifest = staged.base if staged is not None else self._manifest
        return View(manifest, self._cache, self._data, staged)

    def get(self, model: type[R], id: str) -> R:
        codec.kind_of(model)

        def run(view: View) -> R:
            found = self._locate(view, model, id)
            if found is None:
                raise NotFound(f"{model.__name__} {id} not found in {self.path}")
            key, _, doc = found
            return codec.load(model, doc, view.where(model.table, key))

        return self._read(run)

    def find(self, model: type[R], **equals: Any) -> list[R]:
        return self.page(model, 0, None, **equals)

    def all(self, model: type[R]) -> list[R]:
        return self.page(model, 0, None)

    def page(
        self, model: type[R], offset: int, limit: int | None, reverse: bool = False, **equals: Any
    ) -> list[R]:
        """Records in id order (newest first with ``reverse``), ``offset`` skipped, at most ``limit``."""
        kind = codec.kind_of(model)
        check_window(offset, limit)
        values = codec.filter_values(model, equals)
        cond, probe = query(values), filters.Probe(values)

        def run(view: View) -> list[R]:
            rows = walk(view, kind, cond, reverse, offset, probe=probe)
            return self._loaded(model, islice(rows, limit))

        return self._read(run)

    def count(self, model: type[R], **equals: Any) -> int:
        kind = codec.kind_of(model)
        values = codec.filter_values(model, equals)
        cond, probe = query(values), filters.Probe(values)

        return self._read(lambda view: count_matching(view, kind, cond, probe))

    def _loaded(self, model: type[R], rows: Iterable[tuple[dict[str, Any], str]]) -> list[R]:
        pause = self._cache.pause_point
        out: list[R] = []
        for doc, where_ in rows:
            out.append(codec.load(model, doc, where_))
            if pause is not None and len(out) % PAUSE_EVERY == 0:
                pause()
        return out

    def set_pause_point(self, pause: Callable[[], None] | None) -> None:
        """Have ``pause`` called, in the reading thread, before each partition a read touches
        and after every ``PAUSE_EVERY`` records it decodes.

        A TUI reads in threads while its event loop draws, and Python runs one thread at a
        time: a read that parses hundreds of partitions took half of the loop's time. The
        TUI's pause makes a reader wait while the loop is busy (``tui.loop_beat``).
        """
        self._cache.pause_point = pause

    def generation(self) -> int:
        """Goes up with every commit, in any process; cheap enough to poll."""
        return self._read(lambda view: view.manifest.generation)

    def _locate(self, view: View, model: type[Record], record_id: str) -> tuple[str, int, dict] | None:
        kind = model.table
        if not isinstance(record_id, str) or not record_id:
            return None
        n = codec.numbered(model, record_id)
        if n is not None:
            key = codec.part_of(n, view.manifest.part_size)
            doc = partition_table(view, kind, key).get(doc_id=n)
            return (key, n, doc) if doc is not None and doc.get("id") == record_id else None
        key = codec.bucket_of(record_id)
        doc = partition_table(view, kind, key).get(where("id") == record_id)
        return (key, doc.doc_id, doc) if doc is not None else None

    # ---- writing -------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything written inside commits together at exit, or not at all on an exception.

        Holds the writer lock throughout; reads inside see the latest commit plus
        this transaction's own writes. Nested blocks join the outer one; an
        exception out of a nested block undoes that block's writes only.
        """
        with self._mutex:
            self._check_open()
            self._check_writable("writing")
            if self._staged is not None:
                point = self._staged.savepoint()
                try:
                    yield
                except BaseException:
                    self._staged.restore(point)
                    raise
                return
            self._writer.acquire()
            try:
                self._refresh()
                self._add_filters()
                staged = self._staged = Staged.on(self._manifest)
                try:
                    yield
                    if staged.parts:
                        self._commit(staged)
                finally:
                    self._staged = None
            finally:
                self._writer.release()

    def insert(self, record: R) -> R:
        """Store a new record; allocates ``id`` when empty. Returns the stored copy (``record`` is not changed)."""
        model = type(record)
        kind = codec.kind_of(model)
        with self.transaction():
            staged = self._staged
            assert staged is not None
            view = self._view(staged)
            now = utcnow()
            if record.id:
                codec.check_id(model, record.id)
                record_id, n = record.id, codec.numbered(model, record.id)
            else:
                n = staged.next_id.get(kind, 1)
                record_id = codec.format_id(model, n)
            doc = codec.dump(record, created_at=now, updated_at=now)
            doc["id"] = record_id
            stored = self._checked(model, doc)
            if self._locate(view, model, record_id) is not None:
                raise StoreError(f"{model.__name__} {record_id} already exists in {self.path}")
            if n is not None:
                key, doc_id = codec.part_of(n, view.manifest.part_size), n
                staged.next_id[kind] = max(staged.next_id.get(kind, 1), n + 1)
            else:
                key = codec.bucket_of(record_id)
                doc_id = max(map(int, view.docs(kind, key)), default=0) + 1
            partition_table(view, kind, key).insert(Document(doc, doc_id=doc_id))
            return stored

    def update(self, record: R) -> R:
        """Replace the stored record with the same id; keeps ``created_at``, sets ``updated_at``."""
        model = type(record)
        kind = codec.kind_of(model)
        with self.transaction():
            staged = self._staged
            assert staged is not None
            view = self._view(staged)
            found = self._locate(view, model, record.id)
            if found is None:
                raise NotFound(f"{model.__name__} {record.id or '(no id)'} not found in {self.path}")
            key, doc_id, old = found
            doc = codec.dump(record, updated_at=utcnow())
            doc["created_at"] = old["created_at"]
            stored = self._checked(model, doc)
            table = partition_table(view, kind, key)
            table.remove(doc_ids=[doc_id])
            table.insert(Document(doc, doc_id=doc_id))
            return stored

    def _checked(self, model: type[R], doc: dict[str, Any]) -> R:
        try:
            return codec.load(model, doc, "record to write")
        except StoreCorrupt as exc:
            raise StoreError(str(exc)) from None

    def _commit(self, staged: Staged) -> None:
        self._guarded(lambda: self._write_commit(staged))

    def _guarded(self, commit: Callable[[], None]) -> None:
        try:
            commit()
        except OSError as exc:  # a full disk, a failed fsync, a read-only mount
            try:
                landed = self._manifest_path.read_bytes() != self._raw  # we hold the writer lock
            except OSError:
                landed = False
            outcome = ("it reached the disk but may not survive a power loss" if landed
                       else "nothing of it was committed; the store keeps its previous state")
            raise StoreError(f"commit to {self.path} failed: {exc}; {outcome}") from exc

    def _write_commit(self, staged: Staged) -> None:
        base = staged.base
        generation = base.generation + 1
        changed: dict[str, dict[str, PartMeta]] = {}
        superseded: list[str] = []
        written: list[tuple[str, Docs, int]] = []
        for (kind, key), docs in staged.parts.items():
            raw = self._cache.encode(kind, key, docs)
            name = part_file_name(kind, key, generation)
            write_durable(self._data / name, raw)
            lo, hi = staged.ranges.get(key, (None, None)) if kind == LOG_KIND else (None, None)
            old = base.part(kind, key)
            if old is not None:
                superseded.append(part_file_name(kind, key, old.version))
            meta = PartMeta(generation, len(docs), digest(raw), lo, hi, filters.build(docs.values()))
            changed.setdefault(kind, {})[key] = meta
            written.append((name, docs, len(raw)))
        self._publish(base, changed, staged.next_id, staged.log_next_seq, staged.log_head, superseded, written)

    def _add_filters(self) -> None:
        """Give every partition row a filter, in one commit, if the store was written without them
        (by the version before filters, or under another scheme). Under the writer lock.

        The commit writes index files and the manifest, no partition: a crash leaves the old
        manifest, whose rows are read unfiltered, and the next writer does it again.
        """
        base = self._manifest
        if not base.needs_filters():
            return
        view = self._view()
        changed: dict[str, dict[str, PartMeta]] = {}
        for kind, rows in base.parts.items():
            changed[kind] = {}
            for key, meta in rows.items():
                try:
                    text = filters.build(view.docs(kind, key).values())
                except FileNotFoundError as exc:  # we hold the writer lock: no commit removed it
                    raise StoreCorrupt(f"{exc.filename}: partition file is missing although "
                                       f"{self._manifest_path} names it") from None
                changed[kind][key] = replace(meta, filter=text)
        self._guarded(lambda: self._publish(base, changed, base.next_id, base.log_next_seq, base.log_head, [], []))

    def _publish(
        self,
        base: Manifest,
        changed: dict[str, dict[str, PartMeta]],
        next_id: dict[str, int],
        log_next_seq: int,
        log_head: str,
        superseded: list[str],
        written: list[tuple[str, Docs, int]],
    ) -> None:
        """Write the index files the successor of ``base`` needs, then replace the manifest: the commit."""
        manifest, indexes = base.successor(changed, next_id, log_next_seq, log_head)
        for kind, raw in indexes:
            write_durable(self._data / manifest.index[kind].file_name(kind), raw)
            if kind in base.index:
                superseded.append(base.index[kind].file_name(kind))
        self._step("partitions-written")
        fsync_dir(self._data)
        raw = manifest.to_bytes()
        replace_atomic(self._manifest_path, raw, before_replace=lambda: self._step("manifest-written"))
        self._manifest, self._raw = manifest, raw
        for kind, _ in indexes:
            self._indexes[kind] = (manifest.index[kind], manifest.parts[kind])
        for name, docs, size in written:
            self._cache.put(name, docs, size)
        self._step("manifest-replaced")
        for name in superseded:
            (self._data / name).unlink(missing_ok=True)

    def _step(self, name: str) -> None:
        if self._commit_hook is not None:
            self._commit_hook(name)

    # ---- the change log ------------------------------------------------------

    def append_log(self, entry: ChangeLogEntry) -> ChangeLogEntry:
        """Append to the hash-chained log (inside the open transaction, if any)."""
        if not isinstance(entry, ChangeLogEntry):
            raise StoreError(f"append_log takes a ChangeLogEntry, got {type(entry).__name__}")
        with self.transaction():
            staged = self._staged
            assert staged is not None
            view = self._view(staged)
            seq = staged.log_next_seq
            doc = codec.dump(entry)
            doc.update(seq=seq, prev_hash=staged.log_head, hash="")
            doc["hash"] = entry_hash(doc)
            stored = self._checked(ChangeLogEntry, doc)
            key = codec.part_of(seq, view.manifest.segment_size)
            partition_table(view, LOG_KIND, key).insert(Document(doc, doc_id=seq))
            at = codec.epoch_us(stored.at)
            lo, hi = view.at_range(key)
            staged.ranges[key] = (at if lo is None else min(lo, at), at if hi is None else max(hi, at))
            staged.log_next_seq = seq + 1
            staged.log_head = doc["hash"]
            return stored

    def log(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        campaign_id: str | None = None,
        experiment_id: str | None = None,
        kind: str | None = None,
        initiator: str | None = None,
        offset: int = 0,
        limit: int | None = None,
        reverse: bool = False,
    ) -> list[ChangeLogEntry]:
        """Entries in seq order (newest first with ``reverse``); ``since`` inclusive, ``until`` exclusive."""
        check_window(offset, limit)
        lo = codec.epoch_us(codec.utc(since, "since")) if since is not None else None
        hi = codec.epoch_us(codec.utc(until, "until")) if until is not None else None
        equals = {
            name: value
            for name, value in (
                ("campaign_id", campaign_id),
                ("experiment_id", experiment_id),
                ("kind", kind),
                ("initiator", initiator),
            )
            if value is not None
        }
        values = codec.filter_values(ChangeLogEntry, equals)
        cond, probe = query(values), filters.Probe(values)
        if lo is not None or hi is not None:
            in_time = where("at").test(
                lambda text: (lo is None or codec.iso_epoch_us(text) >= lo)
                and (hi is None or codec.iso_epoch_us(text) < hi)
            )
            cond = in_time if cond is None else cond & in_time

        def run(view: View) -> list[ChangeLogEntry]:
            def overlaps(key: str) -> bool:
                first, last = view.at_range(key)
                return first is None or ((lo is None or last >= lo) and (hi is None or first < hi))

            rows = walk(view, LOG_KIND, cond, reverse, offset, keep=overlaps, probe=probe)
            return self._loaded(ChangeLogEntry, islice(rows, limit))

        return self._read(run)

    def check_files(self) -> None:
        """StoreCorrupt naming a file the manifest names that is missing, or the newest partition
        of a table (the one the next commits rewrite) if its bytes do not match their seal.

        What an engine checks before it writes anything: one folder listing and one partition
        per table, whatever the history. Older partitions are checked when they are read
        (a find reads only those its filters admit, so a start no longer reads them all).
        """

        def run(view: View) -> None:
            manifest = view.manifest
            missing = sorted(manifest.file_names() - set(os.listdir(self._data)))
            if missing:
                raise FileNotFoundError(errno.ENOENT, "missing", str(self._data / missing[0]))
            for kind in manifest.parts:
                numbered = [key for key in manifest.keys(kind) if key.isdigit()]
                if numbered:
                    view.docs(kind, numbered[-1])

        self._read(run)

    def log_count(self) -> int:
        return self._read(lambda view: view.log_size)

    def verify_log(self, anchors: dict[int, str] | None = None) -> LogVerification:
        """Check the whole chain and the segment seals; ``anchors`` maps seq to a hash recorded elsewhere."""
        with self._mutex:
            self._check_open()
            for _ in range(READ_RETRIES):
                try:
                    self._refresh()
                    result = verify_chain(self._manifest, self._data, Path.read_bytes, anchors)
                    if result.ok or not self._moved_on():  # a failure seen while a writer moved on is re-checked
                        return result
                except _KeptMoving:
                    pass
            with self._writer.shared():  # a busy writer: hold commits off for one check
                self._refresh()
                return verify_chain(self._manifest, self._data, Path.read_bytes, anchors)

    # ---- the engine lock -----------------------------------------------------

    def engine_lock(self) -> AbstractContextManager[None]:
        """Hold the workspace's engine lock; EngineBusy at once if another engine holds it."""
        self._check_open()
        self._check_writable("starting an engine")
        return self._engine.hold()

    def engine_running(self) -> bool:
        return self._engine.running()
