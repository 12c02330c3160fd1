"""The engine as a process: one per workspace, commands from others, restart after a crash."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import run

from manager.commands import submit
from manager.engine import Engine, run_in_thread
from state_machines import CYCLE_TRANSIENT, EXPERIMENT_TRANSIENT, TASK_TRANSIENT
from store import EngineBusy, Store
from store.models import Campaign, Cycle, Experiment, ParameterVersion, Task

CLI = [sys.executable, "-m", "manager.cli"]


def test_second_engine_refuses(demo_ws):
    first = Engine(demo_ws)
    with first.store.raw.engine_lock():
        second = Engine(demo_ws)
        with pytest.raises(EngineBusy):
            asyncio.run(second.run(until_idle=True))


def test_commands_reach_a_running_engine(demo_ws):
    engine = Engine(demo_ws)
    thread = run_in_thread(engine)
    try:
        deadline = time.monotonic() + 20
        while not engine.store.raw.engine_running() and time.monotonic() < deadline:
            time.sleep(0.05)
        cmd = submit(demo_ws, "pause", {"campaign_id": "cmp-000001", "reason": "lunch"}, wait_s=30)
        assert (cmd.state, cmd.result) == ("done", "cmp-000001 paused")
        cmd = submit(demo_ws, "goal", {"text": "increase recall on preferences by +10%"}, wait_s=30)
        assert cmd.state == "done", cmd.result
        bad = submit(demo_ws, "goal", {"text": "make it purple"}, wait_s=30)
        assert bad.state == "refused" and "not" in bad.result
    finally:
        engine.stop()
        thread.join(60)
    store = Store.open(demo_ws / "store")
    assert store.get(Campaign, "cmp-000001").state == "paused"
    (goal,) = [c for c in store.all(Campaign) if c.id != "cmp-000001"]
    assert goal.targets[0].segment == "preferences"


def test_restart_recovers_transient_states_and_tuner_drift(demo_ws):
    engine = run(Engine(demo_ws), max_cycles=2)
    store = engine.store
    # What a crash mid-cycle leaves: a running task and experiment, a cycle mid-way, and the
    # tuner moved to a version the store never recorded as applied.
    campaign = store.all(Campaign)[0]
    store.insert(Task(kind="emulation", title="crashed", campaign_id=campaign.id, state="running"))
    store.insert(Cycle(campaign_id=campaign.id, number=99, state="EMULATING"))
    exp = store.insert(Experiment(campaign_id=campaign.id, factor="top_k", state="running", baseline_version="v0001"))
    tuner = engine.ctx.ports._modules["tuner"]
    recorded = store.find(ParameterVersion, active=True)[-1].version
    drift = tuner.prepare_variant(recorded, {"top_k": 14.0})
    tuner.apply(drift.id)

    again = Engine(demo_ws)
    again.recover()
    s = again.store
    assert not [t for t in s.all(Task) if t.state in TASK_TRANSIENT]
    waiting = {e.cycle_id for e in s.find(Experiment, state="awaiting_approval")}
    assert not [c for c in s.all(Cycle) if c.state in CYCLE_TRANSIENT and c.id not in waiting]
    assert s.get(Experiment, exp.id).state == "failed"
    assert again.ctx.ports.call("tuner", "active").id == recorded
    assert any("reconciled" in e.summary for e in s.log(kind="rollback"))


def _invariants(ws: Path) -> None:
    store = Store.open(ws / "store")
    assert store.verify_log().ok
    engine = Engine(ws)
    engine.recover()
    s = engine.store
    assert not [e for e in s.all(Experiment) if e.state in EXPERIMENT_TRANSIENT]
    assert not [t for t in s.all(Task) if t.state in TASK_TRANSIENT]
    active = engine.ctx.ports.call("tuner", "active")
    recorded = s.find(ParameterVersion, active=True)
    assert recorded and recorded[-1].version == active.id
    changes = [e for e in s.log() if e.kind in ("change", "rollback", "engine") and e.data.get("version")]
    if changes:
        assert changes[-1].data["version"] == active.id, "active parameters = last version in the change log"
    applied = [e.experiment_id for e in s.log(kind="change")]
    assert len(applied) == len(set(applied)), "nothing applied twice"


@pytest.mark.parametrize("kill_after", [0.8, 1.6, 2.4])
def test_sigkill_at_any_point_then_restart_resumes(demo_ws, kill_after):
    env = {**os.environ, "MAAS_MANAGER_WORKSPACE": str(demo_ws)}
    proc = subprocess.Popen(CLI + ["run", "-q"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(kill_after + random.random() * 0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    _invariants(demo_ws)
    # and learning goes on from there
    result = subprocess.run(CLI + ["run", "--until-idle", "--cycles", "2", "-q", "--json"], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["campaigns"][0]["cycles"] >= 1
    _invariants(demo_ws)


def test_ctrl_c_stops_cleanly(demo_ws):
    env = {**os.environ, "MAAS_MANAGER_WORKSPACE": str(demo_ws)}
    proc = subprocess.Popen(CLI + ["run", "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    # SIGINT only once the engine runs (its handler is installed before it takes the lock)
    store_path = demo_ws / "store"
    deadline = time.monotonic() + 60
    while not Store.open(store_path).engine_running() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    summary = json.loads(out)
    assert summary["campaigns"][0]["id"] == "cmp-000001"
    store = Store.open(demo_ws / "store")
    assert not [t for t in store.all(Task) if t.state in TASK_TRANSIENT]
    assert not [e for e in store.all(Experiment) if e.state in EXPERIMENT_TRANSIENT]
    assert store.log()[-1].summary == "engine stopped"


@pytest.mark.parametrize("fault", ["raise", "malformed"])
def test_failing_adapter_pauses_the_campaign_and_applies_nothing(demo_ws, fault):
    from manager.workspace import write_config

    cfg = (demo_ws / "workspace.yaml").read_text()
    (demo_ws / "workspace.yaml").write_text(cfg.replace("options: {}", f"options: {{fault: {fault}, fault_target: teacher}}"))
    engine = run(Engine(demo_ws), max_cycles=2)
    s = engine.store
    assert s.get(Campaign, "cmp-000001").state == "paused"
    assert s.find(Experiment, state="applied") == []
    errors = s.log(kind="error")
    assert errors and "teacher" in errors[-1].summary
