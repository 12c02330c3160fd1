"""Every (state, trigger) pair of every machine: valid ones move and save, the rest change nothing."""

from __future__ import annotations

import pytest
from sm_reference import INITIAL, STATES, TABLES, TERMINAL, TRANSIENT, make_record, passing_fields, triggers

import state_machines as sm

PAIRS = [
    (machine, state, trigger)
    for machine in TABLES
    for state in STATES[machine]
    for trigger in triggers(machine)
]
VALID = [p for p in PAIRS if (p[1], p[2]) in TABLES[p[0]]]
INVALID = [p for p in PAIRS if (p[1], p[2]) not in TABLES[p[0]]]


def _lifecycle(machine, state, trigger, save):
    record = make_record(machine, state, **passing_fields(machine, trigger))
    hooks = {"approved": lambda r: True} if machine == "experiment" else {}
    return sm.LIFECYCLES[machine](record, save=save, **hooks)


@pytest.mark.parametrize("machine", list(TABLES))
def test_definition_matches_the_written_table(machine):
    d = sm.MACHINES[machine]
    table = {
        (source, move.trigger): (move.dest, move.guards) for move in d.moves for source in move.sources
    }
    assert table == TABLES[machine]
    assert d.states == STATES[machine]
    assert d.initial == INITIAL[machine]


def test_terminal_and_transient_constants():
    assert sm.EXPERIMENT_TERMINAL == TERMINAL["experiment"]
    assert sm.CYCLE_TERMINAL == TERMINAL["cycle"]
    assert sm.CAMPAIGN_TERMINAL == TERMINAL["campaign"]
    assert sm.TASK_TERMINAL == TERMINAL["task"]
    assert sm.EXPERIMENT_TRANSIENT == TRANSIENT["experiment"]
    assert sm.CYCLE_TRANSIENT == TRANSIENT["cycle"]
    assert sm.CAMPAIGN_TRANSIENT == TRANSIENT["campaign"]
    assert sm.TASK_TRANSIENT == TRANSIENT["task"]
    for machine in TABLES:
        assert not TERMINAL[machine] & TRANSIENT[machine]


@pytest.mark.parametrize("machine", list(TABLES))
def test_every_trigger_has_a_named_method(machine):
    cls = sm.LIFECYCLES[machine]
    for trigger in triggers(machine):
        assert callable(getattr(cls, trigger)), trigger
        assert getattr(cls, trigger).__doc__


@pytest.mark.parametrize(("machine", "state", "trigger"), VALID)
def test_valid_transition_moves_saves_and_records(machine, state, trigger, saves):
    dest, _guards = TABLES[machine][(state, trigger)]
    lc = _lifecycle(machine, state, trigger, saves)
    record = lc.record
    assert lc.can(trigger)
    assert trigger in lc.allowed_triggers()

    returned = getattr(lc, trigger)(reason="table test")

    assert returned is record
    assert lc.state == record.state == dest
    assert [s.state for s in saves] == [dest]
    assert saves[0].id == record.id
    if machine == "experiment":
        entry = record.history[-1]
        assert {k: entry[k] for k in ("from", "to", "trigger", "reason")} == {
            "from": state, "to": dest, "trigger": trigger, "reason": "table test"}
        assert saves[0].history == record.history


@pytest.mark.parametrize(("machine", "state", "trigger"), INVALID)
def test_invalid_transition_changes_nothing(machine, state, trigger, saves):
    lc = _lifecycle(machine, state, trigger, saves)
    before = lc.record.model_dump()
    allowed = sorted(t for (s, t) in TABLES[machine] if s == state)

    assert not lc.can(trigger)
    assert sorted(lc.allowed_triggers()) == allowed
    with pytest.raises(sm.InvalidTransition) as caught:
        getattr(lc, trigger)()

    err = caught.value
    assert (err.machine, err.record_id, err.state, err.trigger) == (machine, lc.record.id, state, trigger)
    assert sorted(err.allowed) == allowed
    message = str(err)
    assert lc.record.id in message and repr(state) in message and repr(trigger) in message
    for name in allowed:
        assert name in message
    if not allowed:
        assert "terminal" in message
    assert lc.record.model_dump() == before
    assert lc.state == state
    assert saves == []


@pytest.mark.parametrize("machine", list(TABLES))
def test_unknown_trigger_is_invalid(machine, saves):
    lc = sm.LIFECYCLES[machine](make_record(machine, INITIAL[machine]), save=saves)
    with pytest.raises(sm.InvalidTransition, match="has no trigger 'explode'"):
        lc.trigger("explode")
    assert lc.state == INITIAL[machine]
    assert saves == []


@pytest.mark.parametrize("machine", list(TABLES))
def test_terminal_states_allow_nothing(machine):
    for state in TERMINAL[machine]:
        lc = sm.LIFECYCLES[machine](make_record(machine, state))
        assert lc.allowed_triggers() == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"initial": "z"}, "initial state 'z' is not one of"),
        ({"states": ("a", "b", "a")}, "a state is listed twice"),
        ({"transient": frozenset({"z"})}, r"transient states \['z'\] are not states"),
        ({"moves": (sm.Move("go", ("a",), "z"),)}, "move 'go' names unknown state 'z'"),
        ({"moves": (sm.Move("go", ("a",), "b", guards=("ready",)),)}, "move 'go' names unknown guard 'ready'"),
        ({"moves": (sm.Move("go", ("a",), "b"), sm.Move("go", ("a",), "a"))}, "trigger 'go' leaves 'a' twice"),
        ({"guards": {"ready": sm.Guard("set", "is set")}}, "guard registered as 'ready' is named 'set'"),
    ],
)
def test_inconsistent_definitions_are_refused(kwargs, match):
    base = {"name": "toy", "record_type": sm.MACHINES["task"].record_type, "states": ("a", "b"), "initial": "a",
            "moves": (sm.Move("go", ("a",), "b"),), "transient": frozenset()}
    with pytest.raises(ValueError, match=f"lifecycle 'toy': {match}"):
        sm.LifecycleDefinition(**{**base, **kwargs})
