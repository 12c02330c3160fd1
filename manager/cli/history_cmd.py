"""``maas-manager history``: read the change log and verify its hash chain.

Exit codes: 0 fine; 1 the chain does not verify; 2 bad options, or no store /
a store that cannot be read.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta, timezone

import click

from manager.workspace import store_dir
from store import Store, StoreError
from store.chain import parse_anchors
from store.manifest import MANIFEST_NAME
from store.models import ChangeLogEntry

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class StoreUnavailable(click.ClickException):
    exit_code = 2


class IsoMoment(click.ParamType):
    """An ISO date or date-time; no zone means UTC. A bare date is the start of that day,
    or with ``end_of_day`` the start of the next (so ``--until 2025-01-31`` includes the 31st)."""

    name = "ISO date"

    def __init__(self, end_of_day: bool = False) -> None:
        self.end_of_day = end_of_day

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            if _DATE_ONLY.match(text):
                day = datetime.combine(datetime.fromisoformat(text).date(), time(0), timezone.utc)
                return day + timedelta(days=1) if self.end_of_day else day
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"{text!r} is not an ISO date (2025-01-31) or date-time (2025-01-31T12:00:00Z)", param, ctx)
        return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _open(ctx: click.Context) -> Store:
    workspace = ctx.obj["workspace"]
    path = store_dir(workspace)
    if not (path / MANIFEST_NAME).is_file():
        raise StoreUnavailable(f"no store in workspace {workspace} (no {path / MANIFEST_NAME})")
    try:
        return Store.open(path, read_only=True)  # reading only: works on a read-only mount
    except StoreError as exc:
        raise StoreUnavailable(f"cannot open the store: {exc}") from None


@click.group()
def history() -> None:
    """The change log: who changed what, when and why."""


@history.command("list")
@click.option("--since", type=IsoMoment(), help="Entries at or after this ISO date/time (UTC if no zone).")
@click.option("--until", type=IsoMoment(end_of_day=True), help="Entries before this time; a bare date includes that day.")
@click.option("--campaign", "campaign_id", metavar="ID", help="Only this campaign.")
@click.option("--experiment", "experiment_id", metavar="ID", help="Only this experiment.")
@click.option("--kind", metavar="KIND", help="Only this kind of entry (e.g. experiment.applied).")
@click.option("--initiator", type=click.Choice(["auto", "manual"]), help="Only automatic or manual changes.")
@click.option("--limit", type=click.IntRange(min=0), default=None, help="At most this many entries.")
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True, help="Skip this many first.")
@click.option("--newest-first", "reverse", is_flag=True, help="Newest entries first.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def list_entries(
    ctx: click.Context,
    since: datetime | None,
    until: datetime | None,
    campaign_id: str | None,
    experiment_id: str | None,
    kind: str | None,
    initiator: str | None,
    limit: int | None,
    offset: int,
    reverse: bool,
    as_json: bool,
) -> None:
    """List change-log entries, oldest first."""
    if since is not None and until is not None and until <= since:
        raise click.BadParameter(f"--until ({until.isoformat()}) is not after --since ({since.isoformat()})")
    store = _open(ctx)
    try:
        entries = store.log(
            since=since,
            until=until,
            campaign_id=campaign_id,
            experiment_id=experiment_id,
            kind=kind,
            initiator=initiator,
            offset=offset,
            limit=limit,
            reverse=reverse,
        )
    except StoreError as exc:
        raise StoreUnavailable(str(exc)) from None
    finally:
        store.close()
    for entry in entries:
        click.echo(entry.model_dump_json() if as_json else _line(entry))
    if not entries and not as_json:
        click.echo("no entries", err=True)


def _line(entry: ChangeLogEntry) -> str:
    refs = " ".join(ref for ref in (entry.campaign_id, entry.experiment_id) if ref)
    at = entry.at.strftime("%Y-%m-%d %H:%M:%SZ")
    text = f"{entry.seq:>6}  {at}  {entry.initiator:<6}  {entry.kind:<22}  {entry.summary}"
    return f"{text}  [{refs}]" if refs else text


@history.command("verify")
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    metavar="SEQ:HASH",
    help="A head printed by an earlier verify, kept elsewhere: the entry must still have that hash.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.pass_context
def verify(ctx: click.Context, anchors: tuple[str, ...], as_json: bool) -> None:
    """Check the change log's hash chain and seals.

    Prints the first entry that does not match and exits 1; exits 0 when all
    entries verify, 2 when there is no readable store.
    """
    try:
        pinned = parse_anchors(anchors)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--anchor") from None
    store = _open(ctx)
    try:
        result = store.verify_log(anchors=pinned)
    except StoreError as exc:
        raise StoreUnavailable(str(exc)) from None
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(result.as_dict()))
    elif result.ok:
        click.echo(f"change log ok: {result.checked} entries verified; head {result.checked}:{result.head}")
    else:
        click.echo(f"change log BROKEN at entry {result.first_bad_seq}: {result.reason}")
        click.echo(f"entries verified before it: {result.checked}")
    ctx.exit(0 if result.ok else 1)
