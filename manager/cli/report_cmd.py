"""`maas-manager report`: a Markdown summary of a campaign or a period."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click

from manager.cli.common import open_store
from store.files import make_private_dir, replace_atomic


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO date (2026-11-26 or 2026-11-26T13:00)") from exc
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


@click.command()
@click.option("--campaign", "campaign_id", default=None, help="Only this campaign.")
@click.option("--since", default=None, help="ISO date or time (UTC if no zone).")
@click.option("--until", default=None, help="ISO date or time (UTC if no zone).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write here (default: the workspace's reports/ folder); '-' for stdout.")
@click.pass_context
def report(ctx: click.Context, campaign_id: str | None, since: str | None, until: str | None,
           output: Path | None) -> None:
    """Write a Markdown report: metrics against targets over time, experiments, decisions, Manager metrics."""
    from manager.reports import full_report
    from manager.workspace import reports_dir, rules_dir
    from rules import RuleFilesInvalid, load_rulebook
    from store import NotFound

    store = open_store(ctx, read_only=True)
    workspace = ctx.obj["workspace"]
    try:
        rulebook = load_rulebook(rules_dir(workspace) if rules_dir(workspace).exists() else None)
    except RuleFilesInvalid as exc:
        raise click.ClickException("rule files invalid: " + "; ".join(str(e) for e in exc.errors)) from exc
    try:
        text = full_report(store, rulebook, campaign_id=campaign_id, since=_when(since), until=_when(until))
    except NotFound as exc:
        raise click.ClickException(f"no campaign {campaign_id}") from exc
    if output is not None and str(output) == "-":
        click.echo(text)
        return
    if output is None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        output = reports_dir(workspace) / f"report-{campaign_id or 'all'}-{stamp}.md"
    # a report names campaigns and decisions: a new one is the owner's alone (0o600 in a 0o700
    # folder made here), whole or not at all; a file rewritten keeps the mode its owner gave it
    try:
        make_private_dir(output.parent)
        replace_atomic(output, text.encode("utf-8"), keep_mode=True)
    except OSError as exc:
        raise click.ClickException(f"cannot write the report to {exc.filename or output}: {exc.strerror or exc}") from exc
    click.echo(str(output))
