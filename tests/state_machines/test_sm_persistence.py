"""Persistence: every move is saved, a failed save changes nothing, a restart restores each state."""

from __future__ import annotations

from collections import deque
from datetime import datetime

import pytest
from sm_reference import INITIAL, STATES, TABLES, TERMINAL, make_record
from tinydb import Query, TinyDB

import state_machines as sm
from store.models import Campaign, Cycle, Experiment, Task

TYPES = {"experiment": Experiment, "cycle": Cycle, "campaign": Campaign, "task": Task}
HOOKS = {"experiment": {"approved": lambda r: True}}


class TinyStore:
    """A real TinyDB file standing in for the store (``store.update`` upserts by id the same way)."""

    def __init__(self, path):
        self.path = path
        self.db = TinyDB(path)
        self.fail_next: Exception | None = None

    def save(self, record):
        if self.fail_next is not None:
            err, self.fail_next = self.fail_next, None
            raise err
        self.db.table(record.table).upsert(record.model_dump(mode="json"), Query().id == record.id)

    def load(self, kind, record_id):
        cls = TYPES[kind]
        doc = self.db.table(cls.table).get(Query().id == record_id)
        return cls.model_validate(dict(doc))

    def read_back(self, kind, record_id):
        """What another process would read from the file now."""
        other = TinyStore(self.path)
        try:
            return other.load(kind, record_id)
        finally:
            other.db.close()

    def restart(self) -> TinyStore:
        self.db.close()
        return TinyStore(self.path)


def _path_to(machine, target):
    """Shortest trigger path from the initial state to ``target``, by the written table."""
    queue, seen = deque([(INITIAL[machine], [])]), {INITIAL[machine]}
    while queue:
        state, path = queue.popleft()
        if state == target:
            return path
        for (source, trigger), (dest, _guards) in TABLES[machine].items():
            if source == state and dest not in seen:
                seen.add(dest)
                queue.append((dest, [*path, trigger]))
    raise AssertionError(f"{target} unreachable")


def _fields(machine):
    if machine == "experiment":
        return {"factor": "top_k", "golden_validation": {"apply": True}, "proposal_hash": "h1"}
    return {}


def _fire(lc, machine, trigger, **context):
    changes = {"should_tune": trigger != "finish"} if machine == "cycle" and trigger in ("tune", "finish") else None
    lc.trigger(trigger, changes=changes, **context)


CASES = [(machine, state) for machine in TABLES for state in STATES[machine]]


@pytest.mark.parametrize(("machine", "state"), CASES)
def test_restart_restores_each_state(machine, state, tmp_path):
    store = TinyStore(tmp_path / "store.json")
    record = make_record(machine, INITIAL[machine], **_fields(machine))
    store.save(record)
    lc = sm.LIFECYCLES[machine](record, save=store.save, **HOOKS.get(machine, {}))
    for trigger in _path_to(machine, state):
        _fire(lc, machine, trigger)
    assert lc.state == state

    store = store.restart()
    restored = store.load(machine, record.id)
    again = sm.LIFECYCLES[machine](restored, save=store.save, **HOOKS.get(machine, {}))

    assert again.state == state
    assert again.allowed_triggers() == lc.allowed_triggers()
    if machine == "experiment":
        assert restored.history == record.history
        assert [e["to"] for e in restored.history][-1:] == ([state] if state != INITIAL[machine] else [])
    if state not in TERMINAL[machine]:
        # the restored lifecycle carries on, and that move is saved too
        trigger = again.allowed_triggers()[0]
        _fire(again, machine, trigger)
        dest = TABLES[machine][(state, trigger)][0]
        assert store.restart().load(machine, record.id).state == dest


@pytest.mark.parametrize(
    ("machine", "saved_state"),
    [("experiment", "exploded"), ("experiment", "Running"), ("cycle", "emulating"), ("campaign", ""),
     ("task", "done")],
)
def test_unknown_saved_state_is_an_error(machine, saved_state, tmp_path):
    store = TinyStore(tmp_path / "store.json")
    store.save(make_record(machine, saved_state))
    record = store.restart().load(machine, make_record(machine, "x").id)
    with pytest.raises(sm.UnknownState) as caught:
        sm.LIFECYCLES[machine](record)
    err = caught.value
    assert (err.machine, err.record_id, err.state) == (machine, record.id, saved_state)
    assert record.id in str(err) and repr(saved_state) in str(err)
    assert set(err.known) == set(STATES[machine])


@pytest.mark.parametrize(("machine", "state", "trigger"),
                         [(m, s, t) for m in TABLES for (s, t) in TABLES[m]])
def test_failed_save_leaves_record_state_and_storage_as_they_were(machine, state, trigger, tmp_path):
    store = TinyStore(tmp_path / "store.json")
    record = make_record(machine, state, **_fields(machine), **(
        {"should_tune": trigger != "finish"} if machine == "cycle" else {}))
    store.save(record)
    lc = sm.LIFECYCLES[machine](record, save=store.save, **HOOKS.get(machine, {}))
    before = record.model_dump()
    stored_before = store.load(machine, record.id).model_dump()

    store.fail_next = OSError("disk full")
    with pytest.raises(OSError, match="disk full"):
        lc.trigger(trigger, reason="will not stick")

    assert record.model_dump() == before
    assert lc.state == state
    assert store.read_back(machine, record.id).model_dump() == stored_before
    # nothing is stuck: the same trigger goes through once saving works
    lc.trigger(trigger)
    assert lc.state == TABLES[machine][(state, trigger)][0]
    assert store.read_back(machine, record.id).state == lc.state


def test_save_sees_the_new_state_before_the_record_does(saves):
    record = make_record("experiment", "planned", factor="top_k")
    seen = []

    def save(candidate):
        seen.append((candidate.state, record.state, candidate is record))

    sm.ExperimentLifecycle(record, save=save).start()
    assert seen == [("running", "planned", False)]
    assert record.state == "running"


def test_what_save_sets_on_the_copy_is_kept():
    record = make_record("task", "pending")

    def save(candidate):
        candidate.error = None
        candidate.done = 3  # e.g. a store that stamps progress when it writes

    sm.TaskLifecycle(record, save=save).start()
    assert (record.state, record.done) == ("running", 3)


def test_history_entries(saves):
    record = make_record("experiment", "planned", factor="top_k")
    lc = sm.ExperimentLifecycle(record, save=saves)
    created = record.updated_at
    lc.start(actor="manager", batch="b1")
    lc.complete()
    lc.fail(reason="Teacher unreachable")

    assert [(e["from"], e["to"], e["trigger"]) for e in record.history] == [
        ("planned", "running", "start"), ("running", "completed", "complete"), ("completed", "failed", "fail")]
    assert record.history[0]["actor"] == "manager" and record.history[0]["batch"] == "b1"
    assert record.history[2]["reason"] == "Teacher unreachable"
    stamps = [datetime.fromisoformat(e["at"]) for e in record.history]
    assert all(s.tzinfo is not None for s in stamps)
    assert stamps == sorted(stamps) and stamps[0] >= created
    assert record.updated_at == stamps[-1]
    assert [len(s.history) for s in saves] == [1, 2, 3]


def test_records_without_history_still_move(saves):
    lc = sm.TaskLifecycle(make_record("task", "pending"), save=saves)
    lc.start()
    lc.fail(changes={"error": "emulator crashed"}, reason="ignored: tasks keep no history")
    assert (lc.state, lc.record.error) == ("failed", "emulator crashed")
    assert [s.state for s in saves] == ["running", "failed"]


def test_without_save_the_lifecycle_runs_in_memory():
    lc = sm.CampaignLifecycle(make_record("campaign", "draft"))
    lc.activate()
    lc.pause()
    lc.resume()
    lc.complete()
    assert lc.state == "completed"
