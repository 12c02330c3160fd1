"""Guards: each refusal names its guard and changes nothing; hooks, changes and context are checked."""

from __future__ import annotations

import pytest
from sm_reference import make_record

import state_machines as sm

GOLDEN_YES = {"apply": True, "reason": "golden set validation passed"}


def _assert_refused(lc, trigger, guard, saves, **kwargs):
    before = lc.record.model_dump()
    state = lc.state
    assert not lc.can(trigger, changes=kwargs.get("changes"))
    with pytest.raises(sm.GuardFailed) as caught:
        lc.trigger(trigger, **kwargs)
    err = caught.value
    assert (err.guard, err.trigger, err.state, err.record_id) == (guard, trigger, state, lc.record.id)
    assert f"guard {guard!r}" in str(err) and lc.record.id in str(err)
    assert lc.record.model_dump() == before
    assert lc.state == state
    assert saves == []
    return err


@pytest.mark.parametrize("factor", [None, ""])
def test_start_needs_a_factor(factor, saves):
    lc = sm.ExperimentLifecycle(make_record("experiment", "planned", factor=factor), save=saves)
    _assert_refused(lc, "start", "has_factor", saves)


@pytest.mark.parametrize(
    "golden", [None, {}, {"apply": False, "reason": "no improvement"}, {"apply": "yes"}, {"apply": 1}]
)
@pytest.mark.parametrize("trigger", ["apply", "request_approval"])
def test_apply_and_approval_need_golden_validation_to_say_apply(golden, trigger, saves):
    lc = sm.ExperimentLifecycle(make_record("experiment", "analyzed", golden_validation=golden), save=saves)
    _assert_refused(lc, trigger, "golden_says_apply", saves)


def test_apply_after_approval_needs_the_hook(saves):
    record = make_record("experiment", "awaiting_approval", golden_validation=GOLDEN_YES, proposal_hash="h1")
    err = _assert_refused(sm.ExperimentLifecycle(record, save=saves), "apply", "approved", saves)
    assert "no hook was given" in str(err) and "approved=" in str(err)


def test_apply_after_approval_asks_the_hook_about_the_current_proposal(saves):
    approvals = {("exp-7", "h1")}
    asked = []

    def approved(rec):
        asked.append(rec.proposal_hash)
        return (rec.id, rec.proposal_hash) in approvals

    record = make_record("experiment", "awaiting_approval", golden_validation=GOLDEN_YES, proposal_hash="h1")
    lc = sm.ExperimentLifecycle(record, save=saves, approved=approved)
    # the proposal changed together with the trigger: the approval of h1 does not cover h2
    _assert_refused(lc, "apply", "approved", saves, changes={"proposal_hash": "h2"})
    assert lc.record.proposal_hash == "h1"
    lc.apply(actor="alice")
    assert lc.state == "applied"
    assert asked[-1] == "h1" and "h2" in asked
    assert lc.record.history[-1]["actor"] == "alice"


def test_golden_guard_is_checked_before_the_hook(saves):
    calls = []
    record = make_record("experiment", "awaiting_approval", golden_validation={"apply": False})
    lc = sm.ExperimentLifecycle(record, save=saves, approved=lambda r: calls.append(r) or True)
    _assert_refused(lc, "apply", "golden_says_apply", saves)
    assert calls == []


def test_hook_saying_no(saves):
    record = make_record("experiment", "awaiting_approval", golden_validation=GOLDEN_YES)
    lc = sm.ExperimentLifecycle(record, save=saves, approved=lambda r: False)
    _assert_refused(lc, "apply", "approved", saves)


def test_changes_travel_with_the_trigger_and_the_guards_see_them(saves):
    lc = sm.ExperimentLifecycle(make_record("experiment", "analyzed"), save=saves)
    lc.apply(changes={"golden_validation": GOLDEN_YES, "applied_version": "pv-3"})
    assert lc.state == "applied"
    assert lc.record.applied_version == "pv-3"
    assert saves[-1].golden_validation == GOLDEN_YES and saves[-1].applied_version == "pv-3"


@pytest.mark.parametrize(
    ("should_tune", "tune_ok", "finish_ok"), [(True, True, False), (False, False, True), (None, False, False)]
)
def test_cycle_tunes_only_with_gaps_and_idles_only_without(should_tune, tune_ok, finish_ok, saves):
    for trigger, ok, guard, dest in (("tune", tune_ok, "should_tune", "TUNING"),
                                     ("finish", finish_ok, "no_gap_left", "IDLE")):
        saves.clear()
        lc = sm.CycleLifecycle(make_record("cycle", "ANALYZING", should_tune=should_tune), save=saves)
        assert lc.can(trigger) is ok
        if ok:
            lc.trigger(trigger)
            assert lc.state == dest
        else:
            _assert_refused(lc, trigger, guard, saves)


def test_cycle_decision_saved_with_the_move(saves):
    lc = sm.CycleLifecycle(make_record("cycle", "ANALYZING"), save=saves)
    gaps = [{"metric": "retrieval_precision", "gap": 0.08}]
    lc.tune(changes={"should_tune": True, "gaps": gaps})
    assert (saves[-1].state, saves[-1].should_tune, saves[-1].gaps) == ("TUNING", True, gaps)
    assert lc.record.gaps == gaps


def test_hook_names_are_checked():
    record = make_record("experiment", "planned")
    with pytest.raises(TypeError, match="no guard hook named golden"):
        sm.ExperimentLifecycle(record, golden=lambda r: True)
    with pytest.raises(TypeError, match="hooks: none"):
        sm.TaskLifecycle(make_record("task", "pending"), approved=lambda r: True)
    with pytest.raises(TypeError, match="must be callable"):
        sm.ExperimentLifecycle(record, approved=True)
    with pytest.raises(TypeError, match="save must be callable"):
        sm.ExperimentLifecycle(record, save="store")


def test_record_of_another_kind_is_refused():
    with pytest.raises(TypeError, match="runs over Experiment records, not Task"):
        sm.ExperimentLifecycle(make_record("task", "pending"))


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"state": "applied"}, "'state' is set by the lifecycle"),
        ({"history": []}, "'history' is set by the lifecycle"),
        ({"id": "exp-9"}, "'id' is set by the lifecycle"),
        ({"colour": "red"}, "has no field 'colour'"),
        ({"step": "a lot"}, "invalid change to 'step'"),
    ],
)
def test_bad_changes_are_refused_before_anything_happens(changes, match, saves):
    lc = sm.ExperimentLifecycle(make_record("experiment", "planned", factor="top_k"), save=saves)
    before = lc.record.model_dump()
    with pytest.raises(ValueError, match=match) as caught:
        lc.start(changes=changes)
    assert "experiment exp-7" in str(caught.value)
    assert lc.record.model_dump() == before and saves == []


def test_context_may_not_overwrite_the_history_entry(saves):
    lc = sm.ExperimentLifecycle(make_record("experiment", "planned", factor="top_k"), save=saves)
    with pytest.raises(ValueError, match="reserved"):
        lc.start(to="applied")
    assert lc.state == "planned" and saves == []


def test_guard_hook_error_propagates_and_changes_nothing(saves):
    def broken(rec):
        raise ConnectionError("approvals table unreachable")

    record = make_record("experiment", "awaiting_approval", golden_validation=GOLDEN_YES)
    lc = sm.ExperimentLifecycle(record, save=saves, approved=broken)
    with pytest.raises(ConnectionError):
        lc.apply()
    assert lc.state == "awaiting_approval" and saves == [] and record.history == []
