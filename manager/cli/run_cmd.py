"""`maas-manager run`: the engine without a TUI, for servers and cron."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import click

from manager.context import EngineEvent


@click.command()
@click.option("--until-idle", is_flag=True, help="Stop when no campaign has work left (or all wait for a human).")
@click.option("--cycles", type=int, default=None, help="Stop after this many learning cycles in all.")
@click.option("--json", "as_json", is_flag=True, help="End with a machine-readable summary on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines.")
@click.pass_context
def run(ctx: click.Context, until_idle: bool, cycles: int | None, as_json: bool, quiet: bool) -> None:
    """Run the learning engine headless. Ctrl-C stops it cleanly at the next step."""
    from manager.adapters import AdapterError
    from manager.demo import ensure_workspace
    from manager.engine import Engine
    from manager.summary import run_summary
    from store import StoreError

    workspace = ctx.obj["workspace"]
    if ctx.obj.get("read_only"):
        raise click.ClickException("refused: the engine changes the workspace and this session is read-only")
    if ensure_workspace(workspace):
        click.echo(f"created demo workspace {workspace}", err=True)

    def show(event: EngineEvent) -> None:
        if quiet or (event.kind == "progress" and not sys.stderr.isatty()):
            return
        click.echo(f"[{event.kind}] {event.text}", err=True)

    try:
        engine = Engine(workspace, on_event=show)
    except Exception as exc:
        raise click.ClickException(str(exc)) from exc

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, engine.stop)
        await engine.run(until_idle=until_idle, max_cycles=cycles)

    try:
        asyncio.run(main())
    except (StoreError, AdapterError) as exc:  # another engine, a broken store or MaaS: say which, exit 1
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(run_summary(engine.ctx), indent=2, default=str))
