"""`maas-manager goal`: learning goals in the human's words (seed 1.2, 1.3, 4.1)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from manager.workspace import resolve_workspace, rules_dir


@click.group()
def goal() -> None:
    """Learning goals, in Russian or English."""


def active_targets(workspace: Path) -> list:
    """The targets of the workspace's rule files, or of the packaged defaults when it has none."""
    from rules import RuleFilesInvalid, load_rulebook

    folder = rules_dir(workspace)
    try:
        return list(load_rulebook(folder if folder.exists() else None).targets)
    except RuleFilesInvalid as exc:
        raise click.ClickException(f"the rule files do not validate, so the goal cannot be read against them:\n{exc}") from exc


@goal.command("translate")
@click.argument("text", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the translation as JSON (with \"ok\").")
@click.pass_context
def translate_cmd(ctx: click.Context, text: tuple[str, ...], as_json: bool) -> None:
    """Show how TEXT would become a campaign, without starting anything.

    TEXT is the goal (several words are joined; "-" reads it from standard input), e.g.
    "снизить hallucination_rate по персональной памяти < 3%" or
    "optimize cost while keeping current quality". Exit status 1 when the goal is not
    ready: something was not understood, or it contradicts itself, or it names no target.
    """
    from manager.goals import KNOWN_FACTORS, KNOWN_SEGMENTS, translate

    goal_text = sys.stdin.read() if text == ("-",) else " ".join(text)
    workspace = (ctx.obj or {}).get("workspace") or resolve_workspace(None)
    translation = translate(goal_text, defaults=active_targets(workspace), factors=list(KNOWN_FACTORS),
                            segments=list(KNOWN_SEGMENTS))
    if as_json:
        click.echo(json.dumps({**translation.model_dump(mode="json"), "ok": translation.ok},
                              ensure_ascii=False, indent=2))
    else:
        click.echo(translation.summary())
    if not translation.ok:
        ctx.exit(1)


@goal.command("add")
@click.argument("text", nargs=-1, required=True)
@click.option("--yes", "-y", is_flag=True, help="Start without asking for confirmation.")
@click.pass_context
def add_cmd(ctx: click.Context, text: tuple[str, ...], yes: bool) -> None:
    """Translate TEXT, show it, and on confirmation start a campaign for it."""
    from manager.cli.common import send
    from manager.goals import KNOWN_FACTORS, KNOWN_SEGMENTS, translate

    goal_text = sys.stdin.read() if text == ("-",) else " ".join(text)
    workspace = ctx.obj["workspace"]
    translation = translate(goal_text, defaults=active_targets(workspace), factors=list(KNOWN_FACTORS),
                            segments=list(KNOWN_SEGMENTS))
    click.echo(translation.summary())
    if not translation.ok:
        raise click.ClickException("the goal is not ready; nothing was started")
    if not yes and not click.confirm("Start this campaign?", default=False):
        raise click.ClickException("not started")
    send(ctx, "goal", {"text": goal_text})
