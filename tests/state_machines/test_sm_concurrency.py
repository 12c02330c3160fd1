"""Concurrent triggers on one record are serialised; records of one kind share a machine safely."""

from __future__ import annotations

import threading
import time

import pytest
from sm_reference import make_record

import state_machines as sm
from store.models import Task


def test_concurrent_triggers_on_one_record_move_it_once():
    saved = []

    def slow_save(record):
        time.sleep(0.02)  # widens the window in which an unserialised second trigger would slip in
        saved.append(record.state)

    lc = sm.TaskLifecycle(make_record("task", "pending"), save=slow_save)
    barrier = threading.Barrier(8)
    outcomes = []

    def fire():
        barrier.wait()
        try:
            lc.start()
            outcomes.append("moved")
        except sm.InvalidTransition:
            outcomes.append("refused")

    threads = [threading.Thread(target=fire) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["moved"] + ["refused"] * 7
    assert saved == ["running"]
    assert lc.state == "running"


def test_many_records_share_one_machine_across_threads():
    saves: dict[str, list[str]] = {}
    lock = threading.Lock()

    def save(record):
        with lock:
            saves.setdefault(record.id, []).append(record.state)

    def worker(n):
        for i in range(40):
            lc = sm.TaskLifecycle(Task(id=f"tsk-{n}-{i}", kind="emulation", title="batch"), save=save)
            lc.start()
            if i % 2:
                lc.complete()
            else:
                lc.fail(changes={"error": f"batch {n}-{i}"})

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(saves) == 240
    for record_id, states in saves.items():
        i = int(record_id.rsplit("-", 1)[1])
        assert states == ["running", "completed" if i % 2 else "failed"], record_id


def test_a_trigger_from_inside_save_is_refused_and_nothing_moves():
    holder = {}

    def save(record):
        holder["lc"].complete()

    lc = holder["lc"] = sm.TaskLifecycle(make_record("task", "pending"), save=save)
    with pytest.raises(sm.LifecycleError, match="in the middle of 'start'"):
        lc.start()
    assert lc.state == "pending"


def test_a_trigger_from_inside_a_guard_hook_is_refused():
    holder = {}

    def approved(record):
        holder["lc"].reject()
        return True

    record = make_record("experiment", "awaiting_approval", golden_validation={"apply": True})
    lc = holder["lc"] = sm.ExperimentLifecycle(record, approved=approved)
    with pytest.raises(sm.LifecycleError, match="in the middle of 'apply'"):
        lc.apply()
    assert lc.state == "awaiting_approval" and record.history == []
