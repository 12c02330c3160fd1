"""`maas-manager campaign`: list campaigns; pause, resume or abandon one."""

from __future__ import annotations

import json

import click

from manager.cli.common import open_store, send


@click.group()
def campaign() -> None:
    """Campaigns (learning goals)."""


@campaign.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """Every campaign with its state and cycles."""
    from store.models import Campaign

    rows = open_store(ctx, read_only=True).all(Campaign)
    if as_json:
        click.echo(json.dumps([c.model_dump(mode="json") for c in rows], indent=2))
        return
    for c in rows:
        click.echo(f"{c.id}  {c.state:<10} cycles {c.cycles_done:>3}  {c.name}")


def _state_command(verb: str, doc: str) -> click.Command:
    @click.command(verb, help=doc)
    @click.argument("campaign_id")
    @click.option("--reason", "-r", default="", help="Goes into the change log.")
    @click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
    @click.pass_context
    def command(ctx: click.Context, campaign_id: str, reason: str, yes: bool) -> None:
        if verb == "abandon" and not yes and not click.confirm(f"Abandon {campaign_id}? This cannot be undone.", default=False):
            raise click.ClickException("not abandoned")
        send(ctx, verb, {"campaign_id": campaign_id, "reason": reason})

    return command


for _verb, _doc in (("pause", "Pause CAMPAIGN_ID: no new cycles until resumed."),
                    ("resume", "Resume a paused CAMPAIGN_ID."),
                    ("abandon", "Abandon CAMPAIGN_ID (asks for confirmation).")):
    campaign.add_command(_state_command(_verb, _doc))
