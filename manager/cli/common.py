"""Helpers shared by the CLI commands."""

from __future__ import annotations

from typing import Any

import click

from manager.workspace import is_workspace


def open_store(ctx: click.Context, *, read_only: bool = False):
    """The workspace's store; read-only for commands that only read (they work on a read-only
    mount) and for every command of a ``--read-only`` session (it locks and clears nothing)."""
    from manager.workspace import WorkspaceError, open_store
    from store import StoreError

    workspace = ctx.obj["workspace"]
    read_only = read_only or bool(ctx.obj.get("read_only"))
    if not is_workspace(workspace):
        raise click.ClickException(f"{workspace} is not a maas-manager workspace (run `maas-manager run` to create the demo)")
    try:
        return open_store(workspace, read_only=read_only)
    except (StoreError, WorkspaceError) as exc:
        raise click.ClickException(str(exc)) from exc


def send(ctx: click.Context, verb: str, args: dict[str, Any], wait_s: float = 60.0) -> str:
    """Send a command to the engine; print its result; exit 1 if refused."""
    from manager.commands import ReadOnly, submit

    open_store(ctx)
    try:
        cmd = submit(ctx.obj["workspace"], verb, args, wait_s=wait_s, read_only=ctx.obj.get("read_only", False))
    except ReadOnly as exc:
        raise click.ClickException(str(exc)) from exc
    if cmd.state == "pending":
        raise click.ClickException(f"{cmd.id} sent; the engine has not answered within {wait_s:g} s")
    if cmd.state == "refused":
        raise click.ClickException(cmd.result)
    click.echo(cmd.result)
    return cmd.result
