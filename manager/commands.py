"""Commands from people (CLI, TUI) to the one engine of a workspace.

A command is a record in the store. When an engine runs, it carries the command
out and writes the result back; when none runs, the sender becomes the engine
for that moment (it takes the engine lock), so a command never waits for nobody.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from manager.identity import os_account
from manager.workspace import open_store
from store import EngineBusy
from store.models import Command

if TYPE_CHECKING:
    from manager.engine import Engine


class CommandRefused(RuntimeError):
    """The engine refused the command; the message says why."""


class ReadOnly(CommandRefused):
    """This session may look but not change anything."""


# What each verb cannot do without.
REQUIRED = {"approve": ("experiment_id",), "reject": ("experiment_id",), "rollback": ("experiment_id",),
            "pause": ("campaign_id",), "resume": ("campaign_id",), "abandon": ("campaign_id",), "goal": ("text",)}


def execute(engine: "Engine", cmd: Command) -> str:
    """Carry out one command inside the engine; raise to refuse it."""
    from manager.approvals import approve, reject_proposal
    from manager.campaigns import create_campaign, set_campaign_state
    from manager.degradation import rollback
    from manager.goals import KNOWN_SEGMENTS, translate
    from store.models import Experiment

    ctx, args, who = engine.ctx, cmd.args, cmd.issued_by
    if cmd.args.get("read_only"):
        raise ReadOnly("refused: the sender is in read-only mode")
    missing = [name for name in REQUIRED.get(cmd.verb, ()) if not isinstance(args.get(name), str)]
    if missing:  # a record written by another client or by hand: say what is wrong with it
        raise CommandRefused(f"{cmd.verb}: needs {', '.join(missing)} as text, got {args!r}"[:300])
    if cmd.verb == "approve":
        return approve(ctx, args["experiment_id"], args.get("proposal_hash", ""), who)
    if cmd.verb == "reject":
        return reject_proposal(ctx, args["experiment_id"], args.get("reason", ""), who)
    if cmd.verb in ("pause", "resume", "abandon"):
        trigger = {"pause": "pause", "resume": "resume", "abandon": "abandon"}[cmd.verb]
        campaign = set_campaign_state(ctx, args["campaign_id"], trigger, actor=who, reason=args.get("reason", ""))
        return f"{campaign.id} {campaign.state}"
    if cmd.verb == "goal":
        rulebook = ctx.rules.rulebook
        factors = [f.name for f in ctx.ports.call("tuner", "factors")]
        translation = translate(args["text"], defaults=list(rulebook.targets), factors=factors,
                                segments=args.get("segments") or _segments(engine) or list(KNOWN_SEGMENTS))
        if not translation.ok:
            problems = translation.not_understood + translation.conflicts
            raise CommandRefused("goal not accepted: " + ("; ".join(problems) or "no target understood"))
        campaign = create_campaign(
            ctx, name=translation.name, goal_text=translation.text, targets=translation.targets,
            allowed=translation.allowed_factors, frozen=translation.frozen_factors,
            constraints=translation.constraints, priorities=translation.priorities,
            autonomy=translation.autonomy or "auto", created_by=who)
        return f"{campaign.id} started: {campaign.name}"
    if cmd.verb == "rollback":
        exp = ctx.store.get(Experiment, args["experiment_id"])
        if exp.state != "applied":
            raise CommandRefused(f"{exp.id} is {exp.state}: only an applied change can be rolled back")
        rollback(ctx, exp, args.get("reason") or f"manual rollback by {who}", initiator="manual", actor=who)
        return f"{exp.id} rolled back to {exp.baseline_version}"
    if cmd.verb == "reload_rules":
        result = engine.reload_rules_if_changed(force=True, actor=who)
        if not result.ok:
            raise CommandRefused("rule files refused: " + "; ".join(str(e) for e in result.errors))
        return "rule files reloaded"
    raise CommandRefused(f"unknown command {cmd.verb!r}")


def _segments(engine: "Engine") -> list[str]:
    from store.models import MetricSnapshot

    snaps = engine.store.page(MetricSnapshot, 0, 1, reverse=True)
    return sorted(snaps[0].segments) if snaps else []


def submit(
    workspace: Path,
    verb: str,
    args: dict[str, Any] | None = None,
    *,
    wait_s: float = 30.0,
    read_only: bool = False,
) -> Command:
    """Send a command and wait for its result (carrying it out here if no engine runs)."""
    if read_only:
        raise ReadOnly(f"refused: {verb} changes the workspace and this session is read-only")
    store = open_store(workspace)
    cmd = store.insert(Command(verb=verb, args=dict(args or {}), issued_by=os_account()))  # type: ignore[arg-type]
    if not store.engine_running():
        try:
            _run_here(workspace)
        except EngineBusy:
            pass  # an engine started meanwhile: it will carry the command out
        except Exception as exc:  # no engine can start here (broken rules, MaaS): refuse, never leave it pending
            cmd = store.get(Command, cmd.id)
            if cmd.state == "pending":
                return store.update(cmd.model_copy(update={
                    "state": "refused", "result": f"refused: no engine could start: {exc}"}))
            return cmd
    deadline = time.monotonic() + wait_s
    while True:
        cmd = store.get(Command, cmd.id)
        if cmd.state != "pending" or time.monotonic() > deadline:
            return cmd
        time.sleep(0.1)


def _run_here(workspace: Path) -> None:
    from manager.engine import Engine

    engine = Engine(workspace)
    with engine.store.raw.engine_lock():
        engine.process_commands()
    engine.ctx.ports.close()
