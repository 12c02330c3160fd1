"""Partition rows folded out of MANIFEST.json into per-table index files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from store_factories import entry, experiment
from store_tamper import rechain_from, reseal_manifest, segment_of, segments, write_segments

import store.manifest
from store import Store, StoreCorrupt
from store.manifest import read_manifest
from store.models import Experiment


@pytest.fixture
def small_hot_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store.manifest, "HOT_LIMIT", 2)


def fill(store_: Store) -> None:
    with store_.transaction():
        for i in range(64 * 6):
            store_.insert(experiment(title=f"e{i}"))
    for n in (1, 70, 140, 200, 260, 330, 5):  # touch many partitions, one commit each
        with store_.transaction():
            record = store_.get(Experiment, f"exp-{n:06d}")
            record.state = "running"
            store_.update(record)
            store_.append_log(entry(summary=f"run {n}", experiment_id=record.id))
    with store_.transaction():
        for i in range(700):
            store_.append_log(entry(summary=f"bulk {i}"))


def test_rows_fold_into_index_files_and_read_back_the_same(store_path: Path, small_hot_limit: None) -> None:
    writer, reader = Store.open(store_path), Store.open(store_path)
    assert reader.count(Experiment) == 0
    fill(writer)
    raw = json.loads((store_path / "MANIFEST.json").read_bytes())
    for table in ("experiments", "change_log"):
        assert raw["tables"][table]["index"] is not None
        assert len(raw["tables"][table]["rows"]) <= 2
    assert len(list((store_path / "data").glob("*.index.*.json"))) == 2  # superseded indexes are gone
    running = [r.id for r in writer.find(Experiment, state="running")]
    assert running == [f"exp-{n:06d}" for n in (1, 5, 70, 140, 200, 260, 330)]
    for handle in (reader, Store.open(store_path)):  # a stale reader and a fresh one
        assert [r.id for r in handle.find(Experiment, state="running")] == running
        assert handle.count(Experiment) == 384 and handle.log_count() == 707
        assert handle.verify_log().ok
    assert read_manifest(store_path).parts == writer._manifest.parts


def test_a_damaged_index_file_is_reported(store_path: Path, small_hot_limit: None) -> None:
    fill(Store.open(store_path))
    index = next((store_path / "data").glob("experiments.index.*.json"))
    index.write_bytes(index.read_bytes()[:-10])
    with pytest.raises(StoreCorrupt, match=rf"{index.name}: content does not match its seal"):
        Store.open(store_path)


def test_a_rechained_segment_is_caught_when_its_seal_sits_in_an_index(store_path: Path, small_hot_limit: None) -> None:
    fill(Store.open(store_path))
    parts = segments(store_path)
    parts[segment_of(parts, 3)]["3"]["summary"] = "edited"
    rechain_from(parts, 3)
    write_segments(parts)
    result = Store.open(store_path).verify_log()
    assert not result.ok and result.first_bad_seq == 1 and "re-chained" in result.reason
    reseal_manifest(store_path)  # forging index and manifest too makes it pass: only anchors help then
    assert Store.open(store_path).verify_log().ok
