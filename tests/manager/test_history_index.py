"""The history index answers as the whole-table queries it replaced, while history grows.

``manager.history_index`` stands in for ``store.find`` scans in ``learning.golden`` and
``degradation.unwatched_change`` (bench/bench_cycle.py showed them growing with history).
Here a store is written at random, by the index's store and by a second handle (another
process), with lookups in between, and every answer is checked against the scan.
"""

from __future__ import annotations

import random

from manager.history_index import HistoryIndex
from store import Store
from store.models import ChangeLogEntry, Experiment, MetricSnapshot

VERSIONS = [f"v{n:04d}" for n in range(1, 9)]


def scan_golden(store: Store, version: str) -> MetricSnapshot | None:
    known = store.find(MetricSnapshot, source="golden", version=version)
    return known[-1] if known else None


def scan_unwatched(store: Store, version: str) -> list[str]:
    return [e.id for e in reversed(store.find(Experiment, state="applied", applied_version=version))
            if not store.find(MetricSnapshot, source="live", experiment_id=e.id)]


def index_unwatched(index: HistoryIndex, store: Store, version: str) -> list[str]:
    return [e.id for e in index.applied(store, version) if not index.watched(store, e.id)]


def write_something(r: random.Random, store: Store) -> None:
    pick = r.random()
    experiments = store.all(Experiment)
    if pick < 0.35:
        store.insert(MetricSnapshot(source=r.choice(["golden", "golden", "train", "live"]), version=r.choice(VERSIONS),
                                    experiment_id=r.choice(experiments).id if experiments else None,
                                    metrics={"retrieval_precision": r.random()}))
    elif pick < 0.6 or not experiments:
        store.insert(Experiment(campaign_id="cmp-000001", factor="top_k", state="analyzed"))
    elif pick < 0.85:  # an apply: the state and the "change" entry in one commit, as experiments.apply does
        exp, version = r.choice(experiments), r.choice(VERSIONS)
        with store.transaction():
            store.update(exp.model_copy(update={"state": "applied", "applied_version": version}))
            store.append_log(ChangeLogEntry(kind="change", summary="applied", experiment_id=exp.id,
                                            data={"version": version}))
    else:  # a rollback or a rejection moves it out of applied
        exp = r.choice(experiments)
        store.update(exp.model_copy(update={"state": r.choice(["rolled_back", "rejected"])}))
        store.append_log(ChangeLogEntry(kind="rollback", summary="rolled back", experiment_id=exp.id,
                                        data={"version": r.choice(VERSIONS)}))


def test_the_index_agrees_with_whole_table_scans_as_history_grows(tmp_path):
    for seed in range(3):
        path = tmp_path / f"store-{seed}"
        mine, other = Store.open(path), Store.open(path)
        r = random.Random(seed)
        for _ in range(15):  # history before the index is first asked
            write_something(r, mine)
        index = HistoryIndex()
        for step in range(60):
            write_something(r, mine if r.random() < 0.7 else other)
            if step % 3 == 0:
                for version in VERSIONS:
                    want = scan_golden(mine, version)
                    got = index.golden(mine, version)
                    assert (got and got.id) == (want and want.id), (seed, step, version)
                    assert index_unwatched(index, mine, version) == scan_unwatched(mine, version), (seed, step, version)


def test_the_newest_golden_snapshot_of_a_version_is_found_and_live_ones_are_not_golden(tmp_path):
    store = Store.open(tmp_path / "store")
    index = HistoryIndex()
    assert index.golden(store, "v0001") is None
    store.insert(MetricSnapshot(source="live", version="v0001", metrics={"error_rate": 0.0}))
    assert index.golden(store, "v0001") is None
    first = store.insert(MetricSnapshot(source="golden", version="v0001", metrics={"error_rate": 0.1}))
    assert index.golden(store, "v0001").id == first.id
    newer = Store.open(tmp_path / "store").insert(  # another process measured it again
        MetricSnapshot(source="golden", version="v0001", metrics={"error_rate": 0.2}))
    assert index.golden(store, "v0001") == store.get(MetricSnapshot, newer.id)


def test_an_applied_experiment_is_read_afresh(tmp_path):
    store = Store.open(tmp_path / "store")
    index = HistoryIndex()
    exp = store.insert(Experiment(campaign_id="cmp-000001", factor="top_k", state="applied", applied_version="v0002"))
    store.append_log(ChangeLogEntry(kind="change", summary="applied", experiment_id=exp.id, data={"version": "v0002"}))
    assert [e.id for e in index.applied(store, "v0002")] == [exp.id]
    store.update(store.get(Experiment, exp.id).model_copy(update={"state": "rolled_back"}))
    assert index.applied(store, "v0002") == []
    assert not index.watched(store, exp.id)
    store.insert(MetricSnapshot(source="live", experiment_id=exp.id, metrics={"error_rate": 0.0}))
    assert index.watched(store, exp.id)
