"""Random trigger sequences against a tiny reference model of the written tables."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sm_reference import GUARD_CHECKS, INITIAL, STATES, TABLES, TERMINAL, make_record, triggers

import state_machines as sm

CHANGES = {
    "experiment": st.fixed_dictionaries({}, optional={
        "factor": st.sampled_from([None, "top_k"]),
        "golden_validation": st.sampled_from([None, {"apply": True}, {"apply": True}, {"apply": False}]),
        "proposal_hash": st.sampled_from(["h1", "h2"]),
    }),
    "cycle": st.fixed_dictionaries({}, optional={"should_tune": st.sampled_from([None, True, False])}),
    "campaign": st.fixed_dictionaries({}, optional={"cycles_done": st.integers(0, 5)}),
    "task": st.fixed_dictionaries({}, optional={"done": st.integers(0, 5)}),
}


def _step_strategy(machine, state):
    """A step from ``state``: mostly a move that keeps the record alive, so runs reach deep states."""
    allowed = sorted(t for (s, t) in TABLES[machine] if s == state)
    onward = [t for t in allowed if TABLES[machine][(state, t)][0] not in TERMINAL[machine]]
    trigger = st.sampled_from([*triggers(machine), "explode"])  # anything, valid or not
    if onward:
        trigger = st.one_of(*[st.sampled_from(onward)] * 3, trigger)  # 3 to 1 for staying alive
    return st.tuples(
        trigger,
        st.none() | CHANGES[machine],
        st.booleans(),  # what the approval hook answers
        st.sampled_from(["saves"] * 5 + ["save fails"]),
    )


# built once: building strategies per step would dominate the run time
STEPS = {(m, s): _step_strategy(m, s) for m in TABLES for s in STATES[m]}


def _fields(record):
    """The record's fields but those the lifecycle itself writes."""
    return record.model_dump(exclude={"state", "history", "updated_at"})


def _run(machine, data, length):
    answer = {"approved": False}
    stored: dict[str, object] = {}
    fail = {"now": False}

    def save(record):
        if fail["now"]:
            raise OSError("store unavailable")
        stored.update(record.model_dump())

    hooks = {"approved": lambda r: answer["approved"]} if machine == "experiment" else {}
    record = make_record(machine, INITIAL[machine], **data.draw(CHANGES[machine]))
    lc = sm.LIFECYCLES[machine](record, save=save, **hooks)
    ref_state, ref_fields, moves = INITIAL[machine], _fields(record), 0

    for _ in range(length):
        trigger, changes, approved, fails = data.draw(STEPS[(machine, ref_state)])
        save_fails = fails == "save fails"
        answer["approved"], fail["now"] = approved, save_fails
        move = TABLES[machine].get((ref_state, trigger))
        seen = {**record.model_dump(), **(changes or {}), "approved": approved}
        refused = next((g for g in (move[1] if move else ()) if not GUARD_CHECKS[g](seen)), None)
        assert lc.can(trigger, changes=changes) == (move is not None and refused is None)
        if move is None:
            with pytest.raises(sm.InvalidTransition):
                lc.trigger(trigger, changes=changes)
        elif refused is not None:
            with pytest.raises(sm.GuardFailed) as caught:
                lc.trigger(trigger, changes=changes)
            assert caught.value.guard == refused
        elif save_fails:
            with pytest.raises(OSError):
                lc.trigger(trigger, changes=changes)
        else:
            lc.trigger(trigger, changes=changes)
            ref_state, moves = move[0], moves + 1
            ref_fields.update(changes or {})
        assert lc.state == ref_state
        assert _fields(record) == ref_fields
        assert stored.get("state", INITIAL[machine]) == ref_state
        if machine == "experiment":
            assert len(record.history) == moves
            assert stored.get("history", []) == record.history


def _check(machine, examples):
    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data(), st.integers(0, 30))
    def check(data, length):
        _run(machine, data, length)

    check()


@pytest.mark.parametrize("machine", list(TABLES))
def test_random_sequences_follow_the_table(machine):
    _check(machine, 100)


@pytest.mark.slow
@pytest.mark.parametrize("machine", list(TABLES))
def test_many_random_sequences_follow_the_table(machine):
    _check(machine, 3000)
