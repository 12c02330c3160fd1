"""Approvals from the keyboard (seed 4.4): identity, four-eyes, void on change, reject with reason."""

from __future__ import annotations

import pytest
from conftest import run, scripted_engine, scripted_workspace, start_campaign

from manager.approvals import ApprovalRefused, approve, reject_proposal
from manager.commands import submit
from manager.identity import os_account
from store.models import Approval, Experiment


def waiting_engine(tmp_path):
    ws = scripted_workspace(tmp_path, level="approval")
    engine = scripted_engine(ws, golden="better")
    start_campaign(engine)
    run(engine, max_cycles=3)
    (exp,) = engine.store.find(Experiment, state="awaiting_approval")
    return ws, engine, exp


def test_approval_level_waits_for_a_human_and_blocks_the_campaign(tmp_path):
    ws, engine, exp = waiting_engine(tmp_path)
    assert engine.ctx.ports._modules["tuner"].world.applied == []
    assert len(engine.store.all(Experiment)) == 1, "the campaign waits; no new cycles meanwhile"
    assert exp.proposal_hash and exp.golden_validation["apply"] is True


def test_approve_applies_and_names_the_os_account(tmp_path, monkeypatch):
    ws, engine, exp = waiting_engine(tmp_path)
    monkeypatch.setenv("USER", "mallory")
    monkeypatch.setenv("LOGNAME", "mallory")
    result = approve(engine.ctx, exp.id, exp.proposal_hash, os_account())
    assert result.startswith("applied")
    (approval,) = engine.store.find(Approval, experiment_id=exp.id)
    assert approval.approver == os_account() != "mallory"
    assert engine.store.get(Experiment, exp.id).state == "applied"
    change = [e for e in engine.store.log(experiment_id=exp.id) if e.kind == "change"][-1]
    assert change.initiator == "manual" and change.actor == os_account()


def test_approval_is_void_when_the_proposal_changed(tmp_path):
    ws, engine, exp = waiting_engine(tmp_path)
    with pytest.raises(ApprovalRefused, match="void"):
        approve(engine.ctx, exp.id, "0000000000000000", "reviewer")
    assert engine.store.get(Experiment, exp.id).state == "awaiting_approval"
    assert engine.ctx.ports._modules["tuner"].world.applied == []


def test_four_eyes_refuses_the_proposer(tmp_path):
    ws, engine, exp = waiting_engine(tmp_path)
    engine.store.update(exp.model_copy(update={"proposed_by": "alice"}))
    with pytest.raises(ApprovalRefused):
        approve(engine.ctx, exp.id, exp.proposal_hash, "alice")
    assert engine.store.find(Approval, experiment_id=exp.id) == []
    assert engine.ctx.ports._modules["tuner"].world.applied == []


def test_reject_needs_a_reason_and_records_it(tmp_path):
    ws, engine, exp = waiting_engine(tmp_path)
    with pytest.raises(ApprovalRefused, match="reason"):
        reject_proposal(engine.ctx, exp.id, "  ", "bob")
    reject_proposal(engine.ctx, exp.id, "too risky before the release", "bob")
    assert engine.store.get(Experiment, exp.id).state == "rejected"
    (approval,) = engine.store.find(Approval, experiment_id=exp.id)
    assert (approval.decision, approval.approver, approval.reason) == ("reject", "bob", "too risky before the release")


def test_approving_twice_or_a_finished_experiment_is_refused(tmp_path):
    ws, engine, exp = waiting_engine(tmp_path)
    approve(engine.ctx, exp.id, exp.proposal_hash, "reviewer")
    with pytest.raises(ApprovalRefused, match="not awaiting"):
        approve(engine.ctx, exp.id, exp.proposal_hash, "reviewer")
    assert engine.ctx.ports._modules["tuner"].world.applied == ["v0002"]


def test_read_only_sender_is_refused(demo_ws):
    from manager.commands import ReadOnly

    with pytest.raises(ReadOnly):
        submit(demo_ws, "pause", {"campaign_id": "cmp-000001"}, read_only=True)


def test_command_is_refused_not_left_pending_when_no_engine_can_start(demo_ws):
    (demo_ws / "rules" / "methodology.yaml").write_text("methodology: {batch_size: -1}\n")
    cmd = submit(demo_ws, "pause", {"campaign_id": "cmp-000001"}, wait_s=5)
    assert cmd.state == "refused" and "methodology.yaml" in cmd.result
