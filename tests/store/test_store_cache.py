"""Cached partitions keep nested values as JSON text, out of the garbage collector's reach.

A document read from disk holds each list or dict value as bytes (store.partition.packed):
the collector never tracks it, records read from it equal records read before packing,
a partition written back is byte for byte what it would have been, and finds on a
list or dict value answer as before.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import given, settings
from hypothesis import strategies as st

from store import Store
from store.models import ChangeLogEntry, Record
from store.partition import _encode, packed, parse_partition

JSON_LEAF = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
JSON_VALUE = st.recursive(JSON_LEAF, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=5), inner, max_size=4), max_leaves=12)
DOCS = st.dictionaries(st.text(max_size=6), JSON_VALUE, max_size=6)


class Nested(Record):
    table: ClassVar[str] = "nested"
    id_prefix: ClassVar[str] = "nst"
    tags: list[str] = []
    extra: dict[str, Any] = {}


@given(DOCS)
@settings(max_examples=300, deadline=None)
def test_a_packed_document_encodes_as_the_document_did(doc: dict[str, Any]) -> None:
    assert _encode(packed(doc)) == _encode(doc)
    assert json.loads(_encode(packed(doc))) == doc


@given(st.dictionaries(st.sampled_from("0123456789"), DOCS, max_size=5))
@settings(max_examples=150, deadline=None)
def test_parsed_documents_are_never_tracked_and_decode_to_the_same_values(docs: dict[str, Any]) -> None:
    raw = json.dumps({"t": docs}, ensure_ascii=False).encode()
    parsed = parse_partition(raw, "t", Path("t.json"))
    for doc_id, doc in parsed.items():
        assert not gc.is_tracked(doc), doc
        assert {k: json.loads(v) if type(v) is bytes else v for k, v in doc.items()} == docs[doc_id]


def test_records_read_back_from_disk_equal_those_written(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s") as writer:
        kept = [writer.insert(Nested(tags=[f"t{i}", "x"], extra={"deep": {"list": [i, {"k": None}]}, "n": i}))
                for i in range(70)]
        writer.append_log(ChangeLogEntry(kind="cycle", summary="s", data={"a": [1, 2]}))
    with Store.open(tmp_path / "s") as reader:  # a fresh process-like reader: every partition from disk
        assert reader.all(Nested) == kept
        got = reader.get(Nested, kept[3].id)
        got.extra["deep"]["list"].append("mine")  # a record is a copy: the cache is not edited
        assert reader.get(Nested, kept[3].id) == kept[3]
        assert reader.find(Nested, tags=["t5", "x"]) == [kept[5]]
        assert reader.find(Nested, extra={"deep": {"list": [6, {"k": None}]}, "n": 6}) == [kept[6]]
        assert reader.find(Nested, tags=["t5"]) == []
        assert reader.log()[0].data == {"a": [1, 2]}
        # a commit rewrites a partition holding packed documents: the others come back unchanged
        changed = reader.update(kept[0].model_copy(update={"tags": ["changed"]}))
    with Store.open(tmp_path / "s") as again:
        assert again.all(Nested) == [changed, *kept[1:]]
        assert again.verify_log().ok


def test_a_read_calls_the_pause_point_before_each_partition_and_between_records(store: Store) -> None:
    """The TUI's readers give way to its event loop between partitions and between every
    ``PAUSE_EVERY`` records decoded (Store.set_pause_point)."""
    from store.store import PAUSE_EVERY

    with store.transaction():
        for i in range(1200):  # several segments of the change log
            store.append_log(ChangeLogEntry(kind="cycle", summary=f"entry {i}"))
    segments = len(store._read(lambda view: view.keys("change_log")))
    assert segments > 2
    reader = Store.open(store.path, read_only=True)
    try:
        calls: list[int] = []
        reader.set_pause_point(lambda: calls.append(1))
        assert len(reader.log(kind="cycle")) == 1200
        assert len(calls) == segments + 1200 // PAUSE_EVERY  # once per segment read, once per 20 records
        calls.clear()
        assert len(reader.log(limit=2 * PAUSE_EVERY + 1, reverse=True)) == 2 * PAUSE_EVERY + 1
        assert len(calls) == 1 + 2  # one segment, 41 records
        calls.clear()
        reader.set_pause_point(None)
        reader.log(kind="cycle")
        assert calls == []
    finally:
        reader.close()
