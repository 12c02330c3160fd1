"""The engine and several CLI processes on one workspace at once.

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
import signal
from pathlib import Path

import twin_maas
from hardening_invariants import check
from hardening_ws import IN_PROCESS, ME, SPOOFED, cli, copy_ws, env_for, no_traceback, start_cli, wait_for

from manager.campaigns import create_campaign
from manager.demo import ensure_workspace
from manager.engine import Engine
from manager.workspace import rules_dir, store_dir
from store import Store
from store.models import Approval, Campaign, Command, Experiment, ParameterVersion

GOALS = ("increase retrieval precision above 85%", "снизить hallucination_rate по персональной памяти < 3%")


def awaiting_by_campaign(ws: Path) -> list[Experiment]:
    exps = Store.open(store_dir(ws)).find(Experiment, state="awaiting_approval")
    assert len(exps) >= 2, f"the template needs two experiments awaiting approval, has {[e.id for e in exps]}"
    return exps


def operations(first: Experiment, second: Experiment) -> list[list[str]]:
    """What the reviewers and operators do, each a separate process, all at once."""
    return [
        ["approve", first.id, "-y"],
        ["approve", first.id, "-y"],  # a second reviewer on the same change: one wins
        ["reject", second.id, "-r", "not before the release"],
        ["reject", second.id, "-r", "too risky"],  # two reviewers reject at once: one wins
        # (not approve against reject: an approval of ``second`` after ``first`` was applied
        # depends on whether a cycle rolled ``first`` back meanwhile, which a serial run never does)
        ["campaign", "pause", second.campaign_id, "-r", "lunch"],
        ["campaign", "resume", second.campaign_id],
        *(["goal", "add", "-y", text] for text in GOALS),
    ]


def engine_running(ws: Path) -> bool:
    return Store.open(store_dir(ws)).engine_running()


def test_engine_and_cli_processes_at_once_equal_a_serial_run(awaiting: Path, tmp_path: Path) -> None:
    ws = copy_ws(awaiting, tmp_path / "concurrent")
    first, second = awaiting_by_campaign(ws)[:2]
    engine = start_cli(ws, "run", "-q", env=env_for(ws, USER="eve", LOGNAME="eve"))
    try:
        wait_for(lambda: engine_running(ws), 60, "the engine to start")
        ops = operations(first, second)
        # Every sender claims another name in USER and LOGNAME: the OS account is what counts.
        procs = [start_cli(ws, *op, env=env_for(ws, **SPOOFED)) for op in ops]
        second_engine = cli(ws, "run", "--until-idle", "-q")
        results = [(op, proc.returncode, out, err) for op, proc, (out, err)
                   in ((op, p, p.communicate(timeout=180)) for op, p in zip(ops, procs))]
    finally:
        engine.send_signal(signal.SIGINT)
        engine_out, engine_err = engine.communicate(timeout=120)
    assert engine.returncode == 0, engine_err
    no_traceback(engine_err)

    assert second_engine.returncode == 1, second_engine.stderr
    assert "engine already running" in second_engine.stderr and "pid" in second_engine.stderr

    for op, code, out, err in results:
        no_traceback(out, err)
        assert code in (0, 1), (op, code, err)
        if code == 1:
            assert err.startswith("Error: ") and len(err.strip()) > len("Error: "), (op, err)
    approvals = [r for r in results if r[0][:2] == ["approve", first.id]]
    assert sorted(code for _, code, _, _ in approvals) == [0, 1], "exactly one of two approvals wins"
    race = [r for r in results if second.id in r[0]]
    assert sorted(code for _, code, _, _ in race) == [0, 1], "exactly one of two rejections wins"

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
