"""`maas-manager approve|reject`: a reviewer's answer to a change that awaits a human."""

from __future__ import annotations

import click

from manager.cli.common import open_store, send


def describe(exp) -> str:  # what the reviewer sees before answering
    gv = exp.golden_validation or {}
    lines = [
        f"{exp.id}  {exp.title}  [{exp.state}]",
        f"  campaign:   {exp.campaign_id}",
        f"  hypothesis: {exp.hypothesis}",
        f"  verdict:    {(exp.verdict or {}).get('outcome', '-')}",
        f"  golden:     {gv.get('reason', '-')}  delta {gv.get('delta', {})}",
        f"  policy:     {'; '.join((exp.policy or {}).get('reasons', [])) or '-'}",
        f"  proposal:   {exp.proposal_hash}",
    ]
    return "\n".join(lines)


@click.command()
@click.argument("experiment_id")
@click.option("--hash", "proposal_hash", default=None,
              help="The proposal hash you reviewed; the approval is void if the proposal changed since.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def approve(ctx: click.Context, experiment_id: str, proposal_hash: str | None, yes: bool) -> None:
    """Approve EXPERIMENT_ID; you are named as approver (your OS account)."""
    from store import NotFound
    from store.models import Experiment

    store = open_store(ctx)
    try:
        exp = store.get(Experiment, experiment_id)
    except NotFound:
        raise click.ClickException(f"no experiment {experiment_id}")
    click.echo(describe(exp))
    if not yes and not click.confirm("Approve this change?", default=False):
        raise click.ClickException("not approved")
    send(ctx, "approve", {"experiment_id": exp.id, "proposal_hash": proposal_hash or exp.proposal_hash or ""})


@click.command()
@click.argument("experiment_id")
@click.option("--reason", "-r", required=True, help="Why the change is rejected (goes into the change log).")
@click.pass_context
def reject(ctx: click.Context, experiment_id: str, reason: str) -> None:
    """Reject EXPERIMENT_ID with a reason; you are named as reviewer."""
    send(ctx, "reject", {"experiment_id": experiment_id, "reason": reason})


@click.command()
@click.argument("experiment_id")
@click.option("--reason", "-r", required=True, help="Why the change is rolled back (goes into the change log).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def rollback(ctx: click.Context, experiment_id: str, reason: str, yes: bool) -> None:
    """Roll back an applied change through the Tuner (asks for confirmation)."""
    if not yes and not click.confirm(f"Roll back {experiment_id}?", default=False):
        raise click.ClickException("not rolled back")
    send(ctx, "rollback", {"experiment_id": experiment_id, "reason": reason})
