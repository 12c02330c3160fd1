"""Random operations against two store handles, checked against a plain in-memory model."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from store_factories import entry

import store.manifest as manifest_module
from store import Store
from store.models import Experiment, ParameterVersion


class Abort(Exception):
    pass


@pytest.mark.parametrize("seed, hot_limit", [(1, 32), (2, 1)])
def test_random_operations_match_a_plain_model(
    tmp_path: Path, seed: int, hot_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(manifest_module, "HOT_LIMIT", hot_limit)
    rng = random.Random(seed)
    handles = [Store.open(tmp_path / "store"), Store.open(tmp_path / "store")]
    experiments: dict[str, str] = {}  # id -> state, in insertion (= id) order
    versions: dict[str, dict] = {}
    log: list[str] = []

    def one_op(store: Store, exps: dict, vers: dict, lg: list) -> None:
        roll = rng.random()
        if roll < 0.45 or not exps:
            stored = store.insert(Experiment(campaign_id="cmp-000001", state=rng.choice(["planned", "running"])))
            exps[stored.id] = stored.state
        elif roll < 0.65:
            exp_id = rng.choice(list(exps))
            record = store.get(Experiment, exp_id)
            record.state = rng.choice(["completed", "analyzed", "applied"])
            store.update(record)
            exps[exp_id] = record.state
        elif roll < 0.72:
            name = f"tuner-{rng.randrange(10**6)}"
            if name not in vers:
                store.insert(ParameterVersion(id=name, params={"k": len(vers)}))
                vers[name] = {"k": len(vers)}
        else:
            summary = f"s{rng.randrange(10**6)}"
            store.append_log(entry(summary=summary))
            lg.append(summary)

    for step in range(200):
        store = rng.choice(handles)
        if rng.random() < 0.25:
            exps, vers, lg = dict(experiments), dict(versions), list(log)
            fail = rng.random() < 0.4
            try:
                with store.transaction():
                    for _ in range(rng.randint(1, 4)):
                        one_op(store, exps, vers, lg)
                    if fail:
                        raise Abort
            except Abort:
                pass
            else:
                experiments, versions, log = exps, vers, lg
        else:
            one_op(store, experiments, versions, log)
        reader = rng.choice(handles)
        if step % 10 == 0 or step == 199:
            assert [(e.id, e.state) for e in reader.all(Experiment)] == list(experiments.items())
            assert {p.id: p.params for p in reader.all(ParameterVersion)} == versions
            assert [e.summary for e in reader.log()] == log
            assert reader.verify_log().ok
        offset, limit = rng.randrange(len(experiments) + 2), rng.randrange(1, 70)
        want = list(experiments.items())[::-1][offset : offset + limit]
        assert [(e.id, e.state) for e in reader.page(Experiment, offset, limit, reverse=True)] == want
        assert reader.count(Experiment, state="applied") == list(experiments.values()).count("applied")
    assert len(experiments) > 64  # crossed partitions
    reopened = Store.open(tmp_path / "store")
    assert [(e.id, e.state) for e in reopened.all(Experiment)] == list(experiments.items())
    assert reopened.log_count() == len(log)
