"""The store's API as the Manager calls it: ids, round trips, queries, transactions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from store_factories import campaign, entry, experiment

from store import NotFound, Store, StoreError
from store.models import Approval, Campaign, ChangeLogEntry, Experiment, ParameterVersion


def test_insert_allocates_ids_per_table_and_leaves_the_input_alone(store: Store) -> None:
    given = campaign()
    first = store.insert(given)
    second = store.insert(campaign("cut hallucination"))
    exp = store.insert(experiment(first.id))
    assert (first.id, second.id, exp.id) == ("cmp-000001", "cmp-000002", "exp-000001")
    assert given.id == ""
    assert first is not given
    assert first.created_at == first.updated_at
    assert first.created_at.tzinfo is timezone.utc


def test_round_trip_keeps_every_field_and_datetime_exactly(store: Store) -> None:
    moment = datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=timezone(timedelta(hours=3)))
    exp = Experiment(
        campaign_id="cmp-000001",
        title="ünïcode — title",
        factor="top_k",
        step=1.5,
        variant_params={"top_k": 7, "nested": {"a": [1, 2.5, None]}},
        verdict={"outcome": "winner"},
        fired=[{"rule": "r1", "because": "x"}],
    )
    stored = store.insert(exp)
    loaded = store.get(Experiment, stored.id)
    assert loaded == stored
    assert loaded.model_dump() == stored.model_dump()
    log = store.append_log(entry(at=moment, data={"k": 1}))
    back = store.log()[0]
    assert back == log
    assert back.at == moment and back.at.utcoffset() == timedelta(0)
    assert back.at.microsecond == 891011


def test_naive_datetimes_are_refused_with_the_field_named(store: Store) -> None:
    with pytest.raises(StoreError, match="ChangeLogEntry.at is a naive datetime"):
        store.append_log(entry(at=datetime(2025, 1, 1)))
    with pytest.raises(StoreError, match="since is a naive datetime"):
        store.log(since=datetime(2025, 1, 1))
    assert store.log_count() == 0


def test_update_replaces_keeps_created_at_and_bumps_updated_at(store: Store) -> None:
    exp = store.insert(experiment())
    exp.state = "running"
    exp.created_at = datetime(2000, 1, 1, tzinfo=timezone.utc)
    updated = store.update(exp)
    loaded = store.get(Experiment, exp.id)
    assert loaded.state == "running" == updated.state
    assert loaded.created_at == store.find(Experiment)[0].created_at != exp.created_at
    assert loaded.updated_at >= loaded.created_at
    assert store.count(Experiment) == 1


def test_missing_records_raise_not_found_which_is_a_key_error(store: Store) -> None:
    with pytest.raises(NotFound, match="Experiment exp-000009 not found"):
        store.get(Experiment, "exp-000009")
    with pytest.raises(KeyError):
        store.get(Experiment, "whatever")
    with pytest.raises(NotFound):
        store.update(experiment().model_copy(update={"id": "exp-000001"}))


def test_find_page_count_agree_with_a_plain_list_across_partitions(store: Store) -> None:
    with store.transaction():
        for i in range(150):  # three partitions of 64
            store.insert(experiment(f"cmp-00000{i % 3 + 1}", f"e{i}"))
    everything = store.all(Experiment)
    assert [e.id for e in everything] == [f"exp-{n:06d}" for n in range(1, 151)]
    of_two = [e for e in everything if e.campaign_id == "cmp-000002"]
    assert store.find(Experiment, campaign_id="cmp-000002") == of_two
    assert store.count(Experiment) == 150
    assert store.count(Experiment, campaign_id="cmp-000002") == len(of_two) == 50
    for offset, limit in [(0, 10), (60, 10), (63, 3), (64, 64), (140, 20), (150, 5), (0, 0)]:
        assert store.page(Experiment, offset, limit) == everything[offset : offset + limit]
        assert store.page(Experiment, offset, limit, reverse=True) == everything[::-1][offset : offset + limit]
        assert store.page(Experiment, offset, limit, campaign_id="cmp-000002") == of_two[offset : offset + limit]
        assert (
            store.page(Experiment, offset, limit, reverse=True, campaign_id="cmp-000002")
            == of_two[::-1][offset : offset + limit]
        )


def test_filters_name_unknown_fields_and_reject_bad_windows(store: Store) -> None:
    with pytest.raises(StoreError, match="Experiment has no field 'stat'"):
        store.find(Experiment, stat="running")
    with pytest.raises(StoreError, match="offset"):
        store.page(Experiment, -1, 5)
    with pytest.raises(StoreError, match="not a store record type"):
        store.all(ChangeLogEntry)  # type: ignore[arg-type]


def test_filters_compare_stored_values_of_any_type(store: Store) -> None:
    store.insert(ParameterVersion(params={"top_k": 5}, active=True))
    store.insert(ParameterVersion(params={"top_k": 6}))
    assert [p.params for p in store.find(ParameterVersion, active=True)] == [{"top_k": 5}]
    assert store.count(ParameterVersion, params={"top_k": 6}) == 1
    assert store.find(ParameterVersion, parent=None, active=False)[0].params == {"top_k": 6}


def test_explicit_ids_numbered_and_free_form(store: Store) -> None:
    store.insert(experiment().model_copy(update={"id": "exp-000010"}))
    assert store.insert(experiment()).id == "exp-000011"  # the counter moved past the explicit id
    free = store.insert(ParameterVersion(id="tuner-v3", params={"a": 1}))
    store.insert(ParameterVersion(id="tuner-v1", params={"a": 0}))
    numbered = store.insert(ParameterVersion(params={}))
    assert free.id == "tuner-v3" and store.get(ParameterVersion, "tuner-v3").params == {"a": 1}
    assert [p.id for p in store.all(ParameterVersion)] == [numbered.id, "tuner-v1", "tuner-v3"]
    with pytest.raises(StoreError, match="already exists"):
        store.insert(ParameterVersion(id="tuner-v3", params={}))
    with pytest.raises(StoreError, match="already exists"):
        store.insert(experiment().model_copy(update={"id": "exp-000010"}))
    with pytest.raises(StoreError, match="printable"):
        store.insert(ParameterVersion(id="bad\nid", params={}))
    assert store.count(ParameterVersion) == 3


def test_transaction_commits_together_or_not_at_all(store: Store) -> None:
    before = store.generation()
    with pytest.raises(RuntimeError):
        with store.transaction():
            exp = store.insert(experiment())
            store.append_log(entry(experiment_id=exp.id))
            assert store.get(Experiment, exp.id) == exp  # reads see the open transaction
            raise RuntimeError("boom")
    assert store.count(Experiment) == 0 and store.log_count() == 0
    assert store.generation() == before
    with store.transaction():
        exp = store.insert(experiment())
        exp.state = "applied"
        store.update(exp)
        store.append_log(entry("experiment.applied", experiment_id=exp.id))
    assert store.generation() == before + 1
    assert store.get(Experiment, "exp-000001").state == "applied"
    assert store.log()[0].experiment_id == "exp-000001"
    with store.transaction():
        store.count(Experiment)  # a read-only transaction commits nothing
    assert store.generation() == before + 1


def test_nested_transactions_join_and_an_inner_failure_undoes_only_itself(store: Store) -> None:
    with store.transaction():
        store.insert(campaign())
        with store.transaction():
            store.append_log(entry())
        with pytest.raises(ValueError):
            with store.transaction():
                store.insert(campaign("inner"))
                store.append_log(entry("inner"))
                raise ValueError
        store.append_log(entry("after"))
    assert [c.name for c in store.all(Campaign)] == ["lift precision"]
    assert [(e.seq, e.kind) for e in store.log()] == [(1, "experiment.planned"), (2, "after")]
    assert store.verify_log().ok


def test_append_log_chains_entries(store: Store) -> None:
    first = store.append_log(entry())
    second = store.append_log(entry("experiment.started"))
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == "0" * 64
    assert second.prev_hash == first.hash and len(first.hash) == 64
    result = store.verify_log()
    assert result.ok and result.checked == 2 and result.head == second.hash


def test_log_filters_and_paging(store: Store) -> None:
    t0 = datetime(2025, 5, 1, tzinfo=timezone.utc)
    with store.transaction():
        for i in range(600):  # three segments of 256
            store.append_log(
                entry(
                    "experiment.applied" if i % 5 == 0 else "experiment.planned",
                    f"s{i}",
                    at=t0 + timedelta(hours=i),
                    campaign_id=f"cmp-00000{i % 2 + 1}",
                    initiator="manual" if i % 7 == 0 else "auto",
                )
            )
    everything = store.log()
    assert [e.seq for e in everything] == list(range(1, 601)) and store.log_count() == 600
    since, until = t0 + timedelta(hours=250), t0 + timedelta(hours=520)
    expected = [e for e in everything if since <= e.at < until]
    assert store.log(since=since, until=until) == expected
    assert store.log(since=since, until=until, reverse=True, offset=3, limit=7) == expected[::-1][3:10]
    chosen = [e for e in everything if e.kind == "experiment.applied" and e.campaign_id == "cmp-000001"]
    assert store.log(kind="experiment.applied", campaign_id="cmp-000001") == chosen
    assert store.log(initiator="manual", offset=10, limit=5) == [e for e in everything if e.initiator == "manual"][10:15]
    assert store.log(offset=250, limit=10, reverse=True) == everything[::-1][250:260]
    assert store.log(experiment_id="exp-000001") == []


def test_readers_see_other_writers_and_ids_never_go_stale(store_path) -> None:
    a, b = Store.open(store_path), Store.open(store_path)
    a.insert(campaign("a"))
    assert b.count(Campaign) == 1
    generation = a.generation()
    b.insert(campaign("b"))
    assert a.generation() == generation + 1
    third = a.insert(campaign("c"))
    assert third.id == "cmp-000003"
    assert [c.name for c in b.all(Campaign)] == ["a", "b", "c"]
    a.close(), b.close()


def test_engine_lock_is_exclusive_and_names_the_holder(store_path) -> None:
    import os

    from store import EngineBusy

    a, b = Store.open(store_path), Store.open(store_path)
    assert not a.engine_running()
    with a.engine_lock():
        assert a.engine_running() and b.engine_running()
        with pytest.raises(EngineBusy, match=rf"engine already running for .*store \(pid {os.getpid()}\)"):
            with b.engine_lock():
                pass
    assert not b.engine_running()
    with b.engine_lock():
        assert a.engine_running()


def test_a_closed_store_refuses_work(store: Store) -> None:
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.all(Approval)


def test_editing_a_returned_record_never_edits_the_store(store: Store) -> None:
    stored = store.insert(experiment().model_copy(update={"verdict": {"deltas": [{"delta": 0.1}]}}))
    stored.verdict["deltas"][0]["delta"] = 9.9
    loaded = store.get(Experiment, stored.id)
    assert loaded.verdict == {"deltas": [{"delta": 0.1}]}
    loaded.verdict["deltas"].append({"delta": 5})
    assert store.find(Experiment)[0].verdict == {"deltas": [{"delta": 0.1}]}
    logged = store.append_log(entry(data={"metrics": {"p": [1]}}))
    logged.data["metrics"]["p"].append(2)
    assert store.log()[0].data == {"metrics": {"p": [1]}}



def test_repeated_scans_skip_partitions_known_to_match_nothing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from store.partition import PartitionCache

    with store.transaction():
        for i in range(200):
            store.insert(experiment(title=f"e{i}"))
    assert store.find(Experiment, state="running") == []
    loads: list[str] = []
    real_load = PartitionCache.load
    monkeypatch.setattr(PartitionCache, "load", lambda self, kind, key, meta: loads.append(key) or real_load(self, kind, key, meta))
    assert store.find(Experiment, state="running") == [] and loads == []
    record = store.get(Experiment, "exp-000150")
    record.state = "running"
    store.update(record)  # its partition gets a new file: the old "no match" no longer applies
    assert [r.id for r in store.find(Experiment, state="running")] == ["exp-000150"]
    assert store.count(Experiment, state="running") == 1
    with store.transaction():
        other = store.get(Experiment, "exp-000002")
        other.state = "running"
        store.update(other)
        assert [r.id for r in store.find(Experiment, state="running")] == ["exp-000002", "exp-000150"]
