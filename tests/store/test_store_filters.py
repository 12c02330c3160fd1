"""Partition filters (store.filters): a find reads only the partitions that may hold a match,
and answers exactly as reading every partition would, whatever was written before.

Stores written before filters (format 1) open: a writer adds the filters in one commit
that a crash cannot tear; a reader that cannot take the writer lock reads unfiltered.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import Store, StoreCorrupt, StoreError, filters
from store.crashpoint import CRASH_ENV, CRASH_EXIT
from store.locks import WriterLock
from store.manifest import MANIFEST_NAME, Manifest, part_file_name, read_manifest
from store.models import Campaign, ChangeLogEntry, Experiment, MetricSnapshot, ParameterVersion, Record, Task
from store.partition import PartitionCache

FIXTURE = Path(__file__).with_name("fixtures") / "format1_store.json"
ROOT = Path(__file__).resolve().parents[2]


class Sample(Record):
    """A record whose lookup fields take any JSON value, to probe equality corner cases."""

    table: ClassVar[str] = "samples"
    id_prefix: ClassVar[str] = "smp"
    state: Any = None
    version: Any = None
    active: Any = None
    note: Any = None  # not a lookup field: finds on it read everything


# Values that Python's == (TinyDB's) lumps together or keeps apart: True/1/1.0, 0/False/-0.0, "1" vs 1.
VALUES = [None, True, False, 0, 1, 1.0, -0.0, 2.5, 2**60, float(2**60), "1", "", "running", "é\u2028", [1], {"a": 1},
          float("nan"), float("inf")]


def small_store(path: Path, part_size: int = 2) -> Store:
    """A store whose partitions hold ``part_size`` records, so that few records make many partitions."""
    (path / "data").mkdir(parents=True)
    (path / MANIFEST_NAME).write_bytes(Manifest(part_size=part_size, segment_size=4).to_bytes())
    return Store.open(path)


def scan(records: list, **equals: Any) -> list[str]:
    """Ids of the records whose fields are == to ``equals`` (as TinyDB compares)."""
    return [r.id for r in records if all(getattr(r, f) == v for f, v in equals.items())]


def ids(records: list) -> list[str]:
    return [r.id for r in records]


@contextmanager
def counting_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Names of the partition files read (parsed from disk or taken from the cache)."""
    seen: list[str] = []
    load = PartitionCache.load

    def counted(self: PartitionCache, kind: str, key: str, meta: Any) -> Any:
        seen.append(part_file_name(kind, key, meta.version))
        return load(self, kind, key, meta)

    with monkeypatch.context() as patch:
        patch.setattr(PartitionCache, "load", counted)
        yield seen


# --- the filter itself ------------------------------------------------------------------


def test_values_equal_under_python_equality_share_a_token() -> None:
    assert filters.token("state", True) == filters.token("state", 1) == filters.token("state", 1.0)
    assert filters.token("state", False) == filters.token("state", 0) == filters.token("state", -0.0)
    assert filters.token("state", 2**60) == filters.token("state", float(2**60))
    assert len({filters.token("state", v) for v in (None, "1", 1, 2.5, "", "None")}) == 6
    assert filters.token("state", "x") != filters.token("version", "x")
    assert filters.token("state", [1]) is None and filters.token("state", {"a": 1}) is None


def test_a_filter_admits_every_value_it_was_built_from_and_rules_out_others() -> None:
    docs = [{"state": f"s{i}", "campaign_id": f"cmp-{i % 3}", "title": "not a lookup field"} for i in range(40)]
    size, bits = filters.from_text(filters.build(docs))
    assert size % filters.WORD == 0 and size >= 43 * filters.BITS_PER_VALUE
    assert filters.to_text(size, bits) == filters.build(docs)
    for doc in docs:
        assert filters.Probe({"state": doc["state"], "campaign_id": doc["campaign_id"]}).admits(size, bits)
    ruled_out = [v for v in range(1000) if not filters.Probe({"state": f"t{v}"}).admits(size, bits)]
    assert len(ruled_out) >= 998  # about 1 in 40,000 false "maybe"
    assert not filters.Probe({"title": "anything"})  # no lookup field: no probe, read everything
    assert filters.Probe({"state": "t1"}).admits(0, 0)  # a row without a filter may hold anything


def test_a_small_filter_says_maybe_wrongly_about_as_rarely_as_a_bloom_filter_should() -> None:
    """A partition of 64 experiments: 4 states, 7 campaigns. With 32 bits a value and 6 probes
    about 1 value in 40,000 gets a wrong "maybe"; probes lined up by double hashing gave 1 in 1,400."""
    docs = [{"state": ("applied", "rejected", "rolled_back")[i % 3], "campaign_id": f"cmp-h{i // 10:05d}"}
            for i in range(576, 640)]
    size, bits = filters.from_text(filters.build(docs))
    wrong = sum(filters.Probe({"state": f"s{i}"}).admits(size, bits) for i in range(40_000))
    assert wrong <= 5


@pytest.mark.parametrize("text", ["", "abc", "zz" * 8, "A" * 16])
def test_a_malformed_filter_in_a_row_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="bad partition filter"):
        filters.from_text(text)


# --- finds read what may match, answer what a full read answers -----------------------------


def test_a_find_reads_only_partitions_that_may_match(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = small_store(tmp_path / "store", part_size=8)
    with writer.transaction():
        for i in range(200):
            writer.insert(Experiment(campaign_id=f"cmp-{i // 10:06d}", title=f"e{i}",
                                     state="running" if i == 137 else "rejected"))
    reader = Store.open(tmp_path / "store")  # a cold cache: every read is counted
    with counting_reads(monkeypatch) as seen:
        assert ids(reader.find(Experiment, state="running")) == ["exp-000138"]
    assert seen == [part_file_name("experiments", "00017", 1)]
    with counting_reads(monkeypatch) as seen:
        assert reader.count(Experiment, campaign_id="cmp-000004") == 10
    assert len(seen) == 2  # ids 41-50 lie in partitions 5 and 6
    with counting_reads(monkeypatch) as seen:
        assert ids(reader.find(Experiment, title="e137")) == ["exp-000138"]
    assert len(seen) == 25  # title is not a lookup field: every partition is read


def test_change_log_finds_skip_segments_by_kind_and_experiment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = small_store(tmp_path / "store")  # 4 entries per segment
    for i in range(60):
        writer.append_log(ChangeLogEntry(kind="rollback" if i == 41 else "cycle", summary=f"{i}",
                                         experiment_id=f"exp-{i:06d}"))
    reader = Store.open(tmp_path / "store")
    with counting_reads(monkeypatch) as seen:
        assert [e.seq for e in reader.log(kind="rollback")] == [42]
        assert [e.seq for e in reader.log(experiment_id="exp-000007")] == [8]
    assert len(seen) == 2
    assert [e.seq for e in reader.log(offset=58)] == [59, 60]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batches=st.lists(
        st.lists(st.tuples(st.integers(0, 1000), st.sampled_from(["state", "version", "active", "note"]),
                           st.sampled_from(range(len(VALUES)))), min_size=1, max_size=6),
        min_size=1, max_size=10),
    hot_limit=st.sampled_from([0, 2, 32]),
)
def test_finds_with_filters_answer_as_full_reads_after_any_writes(
    tmp_path_factory: pytest.TempPathFactory, batches: list, hot_limit: int
) -> None:
    """Each batch is one transaction of inserts and updates (a new record, or field := value on
    an existing one); after each, every lookup answers as a scan, in the writing handle or a
    stale one, and after the last in a fresh one too (filters read back from the files)."""
    import store.manifest as manifest_module

    path = tmp_path_factory.mktemp("prop") / "store"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(manifest_module, "HOT_LIMIT", hot_limit)
        writer, stale = small_store(path), Store.open(path)
        for n, batch in enumerate(batches):
            with writer.transaction():
                for pick, field, value in batch:
                    records = writer.all(Sample)
                    if pick % 3 == 0 or not records:
                        writer.insert(Sample(**{field: VALUES[value]}))
                    else:
                        record = records[pick % len(records)]
                        writer.update(record.model_copy(update={field: VALUES[value]}))
            last = n == len(batches) - 1
            for handle in (writer, stale, Store.open(path)) if last else [(writer, stale)[n % 2]]:
                everything = handle.all(Sample)  # no filter: every partition is read
                for field in ("state", "version", "active"):
                    for value in VALUES:
                        want = scan(everything, **{field: value})
                        assert ids(handle.find(Sample, **{field: value})) == want, (field, value)
                        assert handle.count(Sample, **{field: value}) == len(want)
                got = ids(handle.page(Sample, 0, 3, reverse=True, state=1, active=True))
                assert got == scan(everything, state=1, active=True)[::-1][:3]
        assert_rows_admit_their_documents(path)


def assert_rows_admit_their_documents(path: Path) -> None:
    """Straight from the files: every document's lookup values pass its partition's filter."""
    manifest = read_manifest(path)
    assert manifest.filter_scheme == filters.SCHEME
    for kind, rows in manifest.parts.items():
        for key, meta in rows.items():
            assert meta.filter_size, f"{kind}/{key} has no filter"
            docs = json.loads((path / "data" / part_file_name(kind, key, meta.version)).read_bytes())[kind]
            for doc in docs.values():
                for field in filters.FIELDS:
                    value = doc.get(field)
                    if field in doc and not (isinstance(value, float) and math.isnan(value)):
                        assert meta.admits(filters.Probe({field: value})), (kind, key, field, value)


# --- stores written before filters ------------------------------------------------------------


def unpack_format1(path: Path) -> dict[str, dict[str, dict]]:
    """The fixture store (written by the store before filters) at ``path``; returns its documents by table."""
    bundle = json.loads(FIXTURE.read_text(encoding="utf-8"))
    (path / "data").mkdir(parents=True)
    manifest = json.loads(bundle["files"][MANIFEST_NAME])
    assert manifest["format"] == 1 and "filters" not in manifest
    for name, text in bundle["files"].items():
        (path / name).write_text(text, encoding="utf-8")
    return raw_documents(path)


def raw_documents(path: Path) -> dict[str, dict[str, dict]]:
    """Every document of every table, by id, from the partition files the manifest names."""
    manifest = read_manifest(path)
    out: dict[str, dict[str, dict]] = {}
    for kind, rows in manifest.parts.items():
        for key, meta in rows.items():
            docs = json.loads((path / "data" / part_file_name(kind, key, meta.version)).read_bytes())[kind]
            out.setdefault(kind, {}).update({str(d.get("id", d.get("seq"))): d for d in docs.values()})
    return out


LOOKUPS = [
    (Experiment, {"state": "running"}), (Experiment, {"state": "awaiting_approval"}),
    (Experiment, {"campaign_id": "cmp-000003"}), (Experiment, {"state": "applied", "applied_version": "v0045"}),
    (Task, {"state": "running"}), (Campaign, {"state": "active"}), (ParameterVersion, {"active": True}),
    (ParameterVersion, {"version": "v0030"}), (MetricSnapshot, {"source": "golden", "version": "v0007"}),
    (MetricSnapshot, {"source": "live", "experiment_id": "exp-000051"}),
]


def assert_answers(handle: Store, docs: dict[str, dict[str, dict]]) -> None:
    for model, equals in LOOKUPS:
        want = sorted(i for i, d in docs[model.table].items() if all(d.get(f) == v for f, v in equals.items()))
        assert ids(handle.find(model, **equals)) == want and want, (model.__name__, equals)
    assert handle.log_count() == len(docs["change_log"]) and handle.verify_log().ok
    assert [e.seq for e in handle.log(kind="change")] == sorted(
        d["seq"] for d in docs["change_log"].values() if d["kind"] == "change")


def test_a_store_from_before_filters_gets_them_in_one_commit_when_a_writer_opens_it(tmp_path: Path) -> None:
    path = tmp_path / "store"
    docs = unpack_format1(path)
    before = read_manifest(path)
    assert before.filter_scheme is None and not any(m.filter_size for r in before.parts.values() for m in r.values())

    store = Store.open(path)
    after = read_manifest(path)
    assert json.loads((path / MANIFEST_NAME).read_bytes())["format"] == 2
    assert after.generation == before.generation + 1 and after.filter_scheme == filters.SCHEME
    assert {k: {key: (m.version, m.count, m.digest) for key, m in r.items()} for k, r in after.parts.items()} == \
        {k: {key: (m.version, m.count, m.digest) for key, m in r.items()} for k, r in before.parts.items()}
    assert set(os.listdir(path / "data")) == after.file_names()  # old index files are gone
    assert raw_documents(path) == docs
    assert_answers(store, docs)
    assert_rows_admit_their_documents(path)
    Store.open(path).insert(Task(kind="design", title="after the upgrade"))
    assert read_manifest(path).generation == after.generation + 1  # no second upgrade


def test_a_reader_of_a_store_from_before_filters_reads_it_unfiltered(tmp_path: Path) -> None:
    path = tmp_path / "store"
    docs = unpack_format1(path)
    original = (path / MANIFEST_NAME).read_bytes()
    busy = WriterLock(path)
    assert busy.try_acquire()  # another process is writing: this open only reads
    try:
        reader = Store.open(path)
        assert_answers(reader, docs)
    finally:
        busy.release()
    assert (path / MANIFEST_NAME).read_bytes() == original
    reader.insert(Task(kind="design", title="first write"))  # its first transaction adds the filters first
    assert read_manifest(path).filter_scheme == filters.SCHEME
    assert_answers(reader, raw_documents(path))


@pytest.mark.parametrize("phase", ["before", "after"])
def test_a_crash_inside_the_filter_commit_leaves_the_old_store_or_the_new_one(tmp_path: Path, phase: str) -> None:
    path = tmp_path / "store"
    docs = unpack_format1(path)
    original = (path / MANIFEST_NAME).read_bytes()
    env = {**os.environ, CRASH_ENV: f"1:{phase}", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", f"from store import Store; Store.open({str(path)!r})"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == CRASH_EXIT, done.stderr
    landed = (path / MANIFEST_NAME).read_bytes() != original
    assert landed == (phase == "after")
    if phase == "before":  # the new index files and the temp manifest are orphans
        assert any(name.endswith(".tmp") for name in os.listdir(path))
    store = Store.open(path)
    manifest = read_manifest(path)
    assert manifest.filter_scheme == filters.SCHEME
    assert set(os.listdir(path / "data")) == manifest.file_names()
    assert not [n for n in os.listdir(path) if n.endswith(".tmp")]
    assert_answers(store, docs)


def test_a_torn_partition_of_a_store_from_before_filters_is_named_when_a_writer_opens_it(tmp_path: Path) -> None:
    path = tmp_path / "store"
    unpack_format1(path)
    victim = sorted((path / "data").glob("tasks.000*.json"))[3]
    victim.write_bytes(victim.read_bytes()[:-7])
    original = (path / MANIFEST_NAME).read_bytes()
    with pytest.raises(StoreCorrupt, match=rf"{victim.name}: content does not match its seal"):
        Store.open(path)
    assert (path / MANIFEST_NAME).read_bytes() == original


def test_filters_of_another_scheme_are_ignored_then_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = small_store(path)
    for i in range(20):
        store.insert(Experiment(campaign_id="cmp-000001", state="running" if i == 13 else "planned"))
    raw = json.loads((path / MANIFEST_NAME).read_bytes())
    raw["filters"] = "some-other-scheme"
    (path / MANIFEST_NAME).write_bytes(json.dumps(raw).encode())
    busy = WriterLock(path)
    assert busy.try_acquire()
    try:
        reader = Store.open(path)
        assert ids(reader.find(Experiment, state="running")) == ["exp-000014"]
        assert reader._manifest.filter_scheme is None
        assert not any(m.filter_size for m in reader._manifest.parts["experiments"].values())
    finally:
        busy.release()
    Store.open(path)
    assert read_manifest(path).filter_scheme == filters.SCHEME
    assert_rows_admit_their_documents(path)


# --- what an engine checks before it starts, now that a start reads little ------------------------


def test_check_files_names_a_lost_partition_or_a_broken_newest_one(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = small_store(path, part_size=4)
    for i in range(20):
        store.insert(Task(kind="emulation", title=f"t{i}", state="completed"))
    store.append_log(ChangeLogEntry(kind="cycle", summary="one"))
    store.check_files()
    manifest = read_manifest(path)
    oldest = path / "data" / part_file_name("tasks", "00000", manifest.parts["tasks"]["00000"].version)
    newest = path / "data" / part_file_name("tasks", "00004", manifest.parts["tasks"]["00004"].version)

    oldest.write_bytes(oldest.read_bytes()[:-5])  # an older partition is checked when read
    Store.open(path).check_files()
    with pytest.raises(StoreCorrupt, match=rf"{oldest.name}: content does not match its seal"):
        Store.open(path).find(Task, title="t1")
    oldest.unlink()
    with pytest.raises(StoreCorrupt, match=rf"{oldest.name}: partition file is missing"):
        Store.open(path).check_files()
    (path / "data" / oldest.name).write_text("{}")
    newest.write_bytes(newest.read_bytes()[:-5])
    with pytest.raises(StoreCorrupt, match=rf"{newest.name}: content does not match its seal"):
        Store.open(path).check_files()


def test_a_store_from_before_filters_on_a_disk_that_refuses_writes_still_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "store"
    docs = unpack_format1(path)
    original = (path / MANIFEST_NAME).read_bytes()
    real = os.replace

    def refuse(src: Any, dst: Any) -> None:
        if str(dst).endswith(MANIFEST_NAME):
            raise OSError(30, "Read-only file system", str(dst))
        real(src, dst)

    monkeypatch.setattr(os, "replace", refuse)
    reader = Store.open(path)  # the filter commit fails: the store reads without them
    assert (path / MANIFEST_NAME).read_bytes() == original
    assert_answers(reader, docs)
    with pytest.raises(StoreError, match="Read-only file system.*nothing of it was committed"):
        reader.insert(Task(kind="design", title="no"))


def test_a_manifest_of_a_newer_format_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "store"
    small_store(path)
    raw = json.loads((path / MANIFEST_NAME).read_bytes())
    raw["format"] = 3
    (path / MANIFEST_NAME).write_bytes(json.dumps(raw).encode())
    with pytest.raises(StoreCorrupt, match=r"MANIFEST.json: not a store manifest .*format 3, this version reads 1 and 2"):
        Store.open(path)
