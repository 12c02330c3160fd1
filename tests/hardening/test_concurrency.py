"""The engine and several CLI and TUI processes on one workspace at once.

- Approving, rejecting, pausing, resuming and adding goals from concurrent processes loses
  nothing: every command ends done or refused, none is left pending, no process sees a
  decode error, and a second engine refuses to start.
- The outcome equals a serial run: the engine takes commands in id order, so replaying the
  same commands one by one, in that order, on a copy of the starting workspace gives the
  same answer to each, the same campaigns and the same approvals.
- Inside one engine, two campaigns that reach their apply at the same moment never apply
  over each other (the second sees that the active version moved and is rejected).
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

import twin_maas
from hardening_invariants import check
from hardening_ws import HERE, IN_PROCESS, ME, SPOOFED, cli, copy_ws, env_for, no_traceback, start_cli, wait_for

from manager.campaigns import create_campaign
from manager.demo import ensure_workspace
from manager.engine import Engine
from manager.workspace import rules_dir, store_dir
from store import Store
from store.models import Approval, Campaign, Command, Experiment, ParameterVersion

TUI_REVIEWER = HERE / "tui_reviewer.py"
GOALS = ("increase retrieval precision above 85%", "снизить hallucination_rate по персональной памяти < 3%")


def awaiting_by_campaign(ws: Path) -> list[Experiment]:
    exps = Store.open(store_dir(ws)).find(Experiment, state="awaiting_approval")
    assert len(exps) >= 2, f"the template needs two experiments awaiting approval, has {[e.id for e in exps]}"
    return exps


def operations(first: Experiment, second: Experiment) -> list[tuple[str, list[str]]]:
    """What the reviewers and operators do, each a separate process (CLI or TUI), all at once."""
    return [
        ("tui", ["approve", first.id]),
        ("cli", ["approve", first.id, "-y"]),  # a second reviewer on the same change: one wins
        ("tui", ["reject", second.id, "not before the release"]),
        ("cli", ["reject", second.id, "-r", "too risky"]),  # two reviewers reject at once: one wins
        # (not approve against reject: an approval of ``second`` after ``first`` was applied
        # depends on whether a cycle rolled ``first`` back meanwhile, which a serial run never does)
        ("cli", ["campaign", "pause", second.campaign_id, "-r", "lunch"]),
        ("cli", ["campaign", "resume", second.campaign_id]),
        ("tui", ["goal", GOALS[0]]),
        ("cli", ["goal", "add", "-y", GOALS[1]]),
    ]


def start(ws: Path, via: str, op: list[str], lineup: Path) -> subprocess.Popen[str]:
    """One operation as its own process; every sender claims another name in USER and LOGNAME."""
    env = env_for(ws, **SPOOFED, TUI_REVIEWER_READY=str(lineup), TUI_REVIEWER_GO=str(lineup / "go"))
    if via == "cli":
        return start_cli(ws, *op, env=env)
    return subprocess.Popen([sys.executable, str(TUI_REVIEWER), str(ws), *op], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def outcome(via: str, proc: subprocess.Popen[str], out: str, err: str) -> bool:
    """Whether the operation was carried out (else refused, with a readable reason)."""
    no_traceback(out, err)
    if via == "cli":
        assert proc.returncode in (0, 1), (proc.args, proc.returncode, err)
        if proc.returncode == 1:
            assert err.startswith("Error: ") and len(err.strip()) > len("Error: "), (proc.args, err)
        return proc.returncode == 0
    assert proc.returncode == 0, (proc.args, out, err)
    answer = json.loads(out.strip().splitlines()[-1])
    assert answer["state"] in ("done", "refused"), answer
    assert answer["text"].strip(), answer
    return answer["state"] == "done"


def engine_running(ws: Path) -> bool:
    return Store.open(store_dir(ws)).engine_running()


def test_engine_with_cli_and_tui_processes_at_once_equals_a_serial_run(awaiting: Path, tmp_path: Path) -> None:
    ws = copy_ws(awaiting, tmp_path / "concurrent")
    first, second = awaiting_by_campaign(ws)[:2]
    engine = start_cli(ws, "run", "-q", env=env_for(ws, USER="eve", LOGNAME="eve"))
    try:
        wait_for(lambda: engine_running(ws), 60, "the engine to start")
        ops = operations(first, second)
        # The TUI reviewers get to their last key first (a TUI takes seconds to start), then
        # everyone goes at once: the CLI processes start as the TUIs press their keys.
        lineup = tmp_path / "lineup"
        lineup.mkdir()
        tuis = {i: start(ws, via, op, lineup) for i, (via, op) in enumerate(ops) if via == "tui"}
        wait_for(lambda: len(list(lineup.iterdir())) == len(tuis) or any(p.poll() is not None for p in tuis.values()),
                 240, "the TUI reviewers at their last key")
        (lineup / "go").touch()
        procs = [tuis[i] if i in tuis else start(ws, via, op, lineup) for i, (via, op) in enumerate(ops)]
        second_engine = cli(ws, "run", "--until-idle", "-q")
        results = [(op, outcome(via, proc, *proc.communicate(timeout=300)))
                   for (via, op), proc in zip(ops, procs)]
    finally:
        engine.send_signal(signal.SIGINT)
        engine_out, engine_err = engine.communicate(timeout=120)
    assert engine.returncode == 0, engine_err
    no_traceback(engine_err)

    assert second_engine.returncode == 1, second_engine.stderr
    assert "engine already running" in second_engine.stderr and "pid" in second_engine.stderr

    approvals = [won for op, won in results if op[0] == "approve"]
    assert sorted(approvals) == [False, True], "exactly one of two approvals wins"
    race = [won for op, won in results if op[0] == "reject"]
    assert sorted(race) == [False, True], "exactly one of two rejections wins"
    assert [op for op, won in results if op[0] == "goal" and not won] == [], "both goals start a campaign"

    store = Store.open(store_dir(ws))
    commands = store.all(Command)[Store.open(store_dir(awaiting)).count(Command):]
    assert len(commands) == len(ops), "one command per operation"
    assert not [c.id for c in commands if c.state == "pending"]
    with IN_PROCESS:
        check(ws)
        serial = replay(awaiting, tmp_path / "serial", commands)
    assert [(c.verb, c.args, c.state, c.result) for c in serial.all(Command)[-len(commands):]] == [
        (c.verb, c.args, c.state, c.result) for c in commands]
    created = lambda s: [(c.id, c.name, c.goal_text, c.targets) for c in s.all(Campaign)
                         if c.id not in {x.id for x in Store.open(store_dir(awaiting)).all(Campaign)}]
    assert created(serial) == created(store) and len(created(store)) == len(GOALS)
    approvals_of = lambda s: sorted((a.experiment_id, a.decision, a.approver, a.reason) for a in s.all(Approval))
    assert approvals_of(serial) == approvals_of(store)
    assert {a.approver for a in store.all(Approval)} == {ME} and {c.issued_by for c in commands} == {ME}
    assert serial.get(Experiment, first.id).state == "applied"
    assert store.get(Experiment, first.id).state in ("applied", "rolled_back")  # a cycle may watch and roll back
    assert serial.get(Experiment, second.id).state == store.get(Experiment, second.id).state == "rejected"


def replay(template: Path, folder: Path, commands: list[Command]) -> Store:
    """The same commands, one at a time, in the engine's order, by an engine that runs no cycle."""
    ws = copy_ws(template, folder)
    engine = Engine(ws)
    with engine.store.raw.engine_lock():
        for cmd in commands:
            engine.store.insert(Command(verb=cmd.verb, args=cmd.args, issued_by=cmd.issued_by))
            engine.process_commands()
    return Store.open(store_dir(ws))


def test_two_applies_at_the_same_moment_never_apply_over_each_other(tmp_path: Path) -> None:
    ws = tmp_path / "twin"
    ensure_workspace(ws, demo_campaign=False)
    (rules_dir(ws) / "autonomy.yaml").write_text(twin_maas.AUTONOMY, encoding="utf-8")
    maas, world = twin_maas.build(ws, meet_s=1.5)
    engine = Engine(ws, maas=maas)
    with engine.store.raw.engine_lock():
        for factor in ("x", "y"):
            create_campaign(engine.ctx, name=f"tune {factor}", goal_text=f"tune {factor}", allowed=[factor],
                            created_by="tester")
    asyncio.run(engine.run(until_idle=True, max_cycles=2))

    store = engine.store
    changes = store.log(kind="change")
    assert len(world.applies) == len(changes) >= 1
    for before, after in zip(changes, changes[1:]):
        assert after.data["previous_version"] == before.data["version"], "two changes applied on one baseline"
    assert [active_before for active_before, _ in world.applies] == [c.data["previous_version"] for c in changes]
    (recorded,) = store.find(ParameterVersion, active=True)
    assert world.active_id == recorded.version == changes[-1].data["version"]
    stale = [e for e in store.log(kind="experiment") if "rejected: the active version moved" in e.summary]
    assert len(changes) + len(stale) == 2, "each campaign applied, or was told its evidence no longer holds"
