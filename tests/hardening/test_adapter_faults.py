"""Teacher, Emulator or Tuner that raises, hangs past its timeout or returns malformed data.

Every case ends with the error in the change log naming the module and the call, the
campaign paused (or, for a Tuner that cannot even say its active version, the engine not
started), no change applied, and the Tuner on the version the store records.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from faulty_maas import build as faulty_build
from hardening_invariants import check, tuner_active
from hardening_ws import configure, refused_run

from manager.engine import Engine
from manager.workspace import store_dir
from store import Store
from store.models import Campaign, Experiment, Task

# Real calls (a batch, a golden validation) must finish within the timeout even on a busy
# machine, and a hang outlasts it. A fault in the first call of a cycle (emulator) or of the
# engine (tuner.active) has no real call before it, so a short timeout is safe there.
TIMEOUT_S = 2.0
SHORT_TIMEOUT_S = 0.5


def timeout_for(role: str) -> float:
    return SHORT_TIMEOUT_S if role in ("emulator", "tuner") else TIMEOUT_S


def assert_paused_with_nothing_applied(ws: Path, before: str, call: str) -> None:
    store = Store.open(store_dir(ws))
    assert store.get(Campaign, "cmp-000001").state == "paused"
    assert store.log(kind="change") == [] and not store.find(Experiment, state="applied")
    errors = [e.summary for e in store.log(kind="error")]
    assert any(call in text for text in errors), errors
    assert tuner_active(ws) == before
    check(ws)


EMBEDDED_FAULTS = [("emulator", "hang"), ("teacher", "malformed"), ("emulator", "raise")]
EMBEDDED_FAULTS_SLOW = [("emulator", "malformed"), ("teacher", "raise"), ("teacher", "hang")]
WORDS = {"raise": "raised InjectedFault", "hang": "no answer within", "malformed": "malformed result"}


def _module_fault(after_cycle1: Path, ws_copy, role: str, fault: str) -> None:
    ws = ws_copy(after_cycle1)
    before = tuner_active(ws)
    configure(ws, engine={"adapter_timeout_s": timeout_for(role)},
              maas_options={"fault": fault, "fault_target": role, "hang_s": timeout_for(role) + 2})
    asyncio.run(Engine(ws).run(until_idle=True, max_cycles=1))
    assert_paused_with_nothing_applied(ws, before, f"{role}.")
    error = Store.open(store_dir(ws)).log(kind="error")[-1]
    assert WORDS[fault] in error.summary, error.summary


@pytest.mark.parametrize(("role", "fault"), EMBEDDED_FAULTS)
def test_a_module_that_fails_pauses_the_campaign(after_cycle1: Path, ws_copy, role: str, fault: str) -> None:
    _module_fault(after_cycle1, ws_copy, role, fault)


@pytest.mark.slow
@pytest.mark.parametrize(("role", "fault"), EMBEDDED_FAULTS_SLOW)
def test_a_module_that_fails_pauses_the_campaign_more(after_cycle1: Path, ws_copy, role: str, fault: str) -> None:
    _module_fault(after_cycle1, ws_copy, role, fault)


@pytest.mark.parametrize("fault", ["raise", "hang", "malformed"])
def test_a_tuner_that_cannot_answer_keeps_the_engine_from_starting(after_cycle1: Path, ws_copy, fault: str) -> None:
    ws = ws_copy(after_cycle1)
    store = Store.open(store_dir(ws))
    entries, campaign = store.log_count(), store.get(Campaign, "cmp-000001")
    configure(ws, engine={"adapter_timeout_s": SHORT_TIMEOUT_S},
              maas_options={"fault": fault, "fault_target": "tuner", "hang_s": SHORT_TIMEOUT_S + 2})
    err = refused_run(ws, as_process=fault == "raise")  # once as a real process, the rest in this one
    assert err.startswith("Error: tuner.active: ") and WORDS[fault] in err, err
    (error,) = store.log(offset=entries)
    assert error.kind == "error" and error.summary.startswith("engine not started: tuner.active")
    assert store.get(Campaign, "cmp-000001").model_dump() == campaign.model_dump()


# apply hanging past its timeout is in the default run as the late apply, below.
TUNER_FAULTS = [("apply", "done-malformed"), ("prepare_variant", "malformed")]
TUNER_FAULTS_SLOW = [("apply", "hang"), ("apply", "raise"), ("apply", "malformed"), ("prepare_variant", "raise"),
                     ("prepare_variant", "hang")]


def _tuner_call_fault(after_cycle1: Path, ws_copy, method: str, fault: str) -> None:
    ws = ws_copy(after_cycle1)
    before = tuner_active(ws)
    configure(ws, engine={"adapter_timeout_s": TIMEOUT_S})
    maas, faulty = faulty_build(ws, "tuner", method, fault, hang_s=TIMEOUT_S + 2)
    asyncio.run(Engine(ws, maas=maas).run(until_idle=True, max_cycles=1))
    assert_paused_with_nothing_applied(ws, before, f"tuner.{method}")
    if fault == "done-malformed":
        assert faulty.done.is_set(), "the tuner did apply; the engine must have put it back"
        assert any("tuner reconciled" in e.summary for e in Store.open(store_dir(ws)).log(kind="rollback"))


@pytest.mark.parametrize(("method", "fault"), TUNER_FAULTS)
def test_a_tuner_call_that_fails_mid_cycle_applies_nothing(after_cycle1: Path, ws_copy, method: str, fault: str):
    _tuner_call_fault(after_cycle1, ws_copy, method, fault)


@pytest.mark.slow
@pytest.mark.parametrize(("method", "fault"), TUNER_FAULTS_SLOW)
def test_a_tuner_call_that_fails_mid_cycle_applies_nothing_more(after_cycle1: Path, ws_copy, method: str, fault: str):
    _tuner_call_fault(after_cycle1, ws_copy, method, fault)


def test_an_apply_that_lands_after_its_timeout_is_put_right_by_the_next_start(after_cycle1: Path, ws_copy) -> None:
    """A slow remote tuner: the engine gave up on apply, which then happened anyway."""
    ws = ws_copy(after_cycle1)
    before = tuner_active(ws)
    configure(ws, engine={"adapter_timeout_s": TIMEOUT_S})
    maas, faulty = faulty_build(ws, "tuner", "apply", "late", hang_s=TIMEOUT_S + 0.5)
    asyncio.run(Engine(ws, maas=maas).run(until_idle=True, max_cycles=1))
    assert faulty.done.wait(10), "the late apply never landed"
    assert tuner_active(ws) != before, "the tuner moved on its own after the engine gave up"
    asyncio.run(Engine(ws).run(until_idle=True, max_cycles=0))  # the next start reconciles
    assert tuner_active(ws) == before
    assert_paused_with_nothing_applied(ws, before, "tuner.apply")


def test_an_emulator_slower_than_its_timeout_leaves_no_task_running(after_cycle1: Path, ws_copy) -> None:
    """The abandoned batch goes on in its thread, reporting progress after the engine stopped: its task stays failed."""
    ws = ws_copy(after_cycle1)
    configure(ws, engine={"adapter_timeout_s": SHORT_TIMEOUT_S})
    maas, faulty = faulty_build(ws, "emulator", "run_batch", "late", hang_s=SHORT_TIMEOUT_S + 1.5)
    asyncio.run(Engine(ws, maas=maas).run(until_idle=True, max_cycles=1))
    store = Store.open(store_dir(ws))
    assert "emulator.run_batch: no answer within" in store.log(kind="error")[-1].summary
    assert faulty.done.wait(30), "the abandoned batch never finished"
    running = [(t.id, t.title, t.done) for t in store.all(Task) if t.state == "running"]
    assert not running, f"tasks revived by a late progress report: {running}"
