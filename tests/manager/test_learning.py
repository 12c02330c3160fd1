"""The learning cycle end to end, on real rule files, store and MaaS modules."""

from __future__ import annotations

from conftest import learn, run, scripted_engine, scripted_workspace, start_campaign

from manager.engine import Engine
from manager.summary import run_summary
from store.models import Campaign, Cycle, Experiment, MetricSnapshot, Task


def scripted_run(tmp_path, max_cycles: int, campaign: dict | None = None, **options):
    """One campaign (``campaign``: its settings) on the scripted MaaS with ``options``, run for up to
    ``max_cycles``; the engine and the scripted world."""
    engine = scripted_engine(scripted_workspace(tmp_path), **options)
    start_campaign(engine, **(campaign or {}))
    run(engine, max_cycles=max_cycles)
    return engine, engine.ctx.ports._modules["tuner"].world


def test_demo_reaches_every_target_on_the_golden_set_within_15_cycles(demo_ws):
    engine = learn(Engine(demo_ws), max_cycles=15)
    summary = run_summary(engine.ctx)
    (campaign,) = summary["campaigns"]
    assert campaign["cycles"] <= 15
    assert campaign["all_targets_met"], campaign
    store = engine.store
    applied = store.find(Experiment, state="applied")
    assert applied, "the demo reaches its targets by applying changes"
    for exp in applied:
        assert exp.golden_validation and exp.golden_validation["apply"] is True
        golden_entries = [e for e in store.log(experiment_id=exp.id) if e.kind == "golden"]
        assert golden_entries, f"{exp.id} was applied without a golden validation record"
        change = [e for e in store.log(experiment_id=exp.id) if e.kind == "change"]
        assert len(change) == 1, "each change is applied exactly once"
    assert store.verify_log().ok
    approvals = [e for e in store.log(kind="approval") if "approved by reviewer" in e.summary]
    assert approvals, "the demo asks a human for abstain_threshold changes"


def test_every_cycle_leaves_tasks_done_and_cycles_at_rest(demo_ws):
    engine = learn(Engine(demo_ws), max_cycles=3)
    store = engine.store
    assert {t.state for t in store.all(Task)} <= {"completed"}
    assert {c.state for c in store.all(Cycle)} <= {"IDLE"}
    assert store.find(MetricSnapshot, source="train")


def test_goodhart_change_is_never_applied(tmp_path):
    """Training metrics improve under x; the golden set says worse: never applied (seed 0.4)."""
    engine, world = scripted_run(tmp_path, 10, golden="worse")
    assert world.applied == []
    exps = engine.store.all(Experiment)
    assert exps and all(e.state == "rejected" for e in exps)
    assert all(e.verdict["outcome"] == "winner" for e in exps), "training said yes each time"
    assert all("golden" in e.golden_validation["reason"] for e in exps)
    assert engine.store.find(Campaign)[0].state == "completed"


def test_golden_confirmed_change_is_applied(tmp_path):
    engine, world = scripted_run(tmp_path, 2, golden="better")
    assert len(world.applied) == 2
    assert world.active_id == world.applied[-1]


def test_out_of_policy_proposal_is_never_applied(tmp_path):
    """The Teacher proposes a jump larger than max_step: policy refuses before the tuner."""
    engine, world = scripted_run(tmp_path, 3, golden="better", jump=0.5)
    assert world.applied == [] and len(world.versions) == 1, "no variant was even prepared"
    (exp,) = engine.store.all(Experiment)
    assert exp.state == "rejected" and exp.policy["allowed"] is False
    assert any("step" in r for r in exp.policy["reasons"])


def test_frozen_factor_is_never_tuned(tmp_path):
    _, world = scripted_run(tmp_path, 2, campaign={"frozen": ["x"]}, golden="better")
    assert world.applied == []


def test_degradation_after_apply_rolls_back_with_an_incident(tmp_path):
    from store.models import Incident, ParameterVersion

    engine, world = scripted_run(tmp_path, 2, golden="better", drift_after_apply=True)
    store = engine.store
    rolled = store.find(Experiment, state="rolled_back")
    assert len(rolled) == 1
    assert world.active_id == "v0001", "the tuner is back on the version before the change"
    (incident,) = store.all(Incident)
    assert incident.experiment_id == rolled[0].id and incident.metrics
    assert store.find(ParameterVersion, active=True)[0].version == "v0001"
    entry = [e for e in store.log(kind="rollback")][-1]
    assert entry.initiator == "auto" and "rollback bound" in entry.reason
