"""The ``maas-manager`` console script.

Subcommands live in their own modules and are imported only when called, so
``maas-manager --help`` and the TUI start without loading the rules engine.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from manager.workspace import resolve_workspace

# name -> "module:attribute" of a click command; imported lazily.
SUBCOMMANDS: dict[str, str] = {
    "decide": "manager.cli.decide_cmd:decide",
    "rules": "manager.cli.rules_cmd:rules",
    "history": "manager.cli.history_cmd:history",
    "diagram": "manager.cli.diagram_cmd:diagram",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(SUBCOMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in SUBCOMMANDS:
            module_name, attr = SUBCOMMANDS[name].split(":")
            return getattr(importlib.import_module(module_name), attr)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, invoke_without_command=True)
@click.option(
    "--workspace",
    "-w",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="MAAS_MANAGER_WORKSPACE",
    default=None,
    help="Workspace folder (store, rule files, config). Env: MAAS_MANAGER_WORKSPACE. Default: ./maas-workspace",
)
@click.pass_context
def main(ctx: click.Context, workspace: Path | None) -> None:
    """The Manager of a self-learning memory service.

    With no subcommand, opens the TUI on the workspace.
    """
    ctx.obj = {"workspace": resolve_workspace(workspace)}
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())
