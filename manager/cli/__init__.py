"""The ``maas-manager`` console script.

Subcommands live in their own modules and are imported only when called, so
``maas-manager --help`` and the TUI start without loading the rules engine.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from manager.workspace import resolve_workspace

# name -> ("module:attribute" of a click command, one-line help); imported lazily.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "run": ("manager.cli.run_cmd:run", "Run the learning engine headless."),
    "goal": ("manager.cli.goal_cmd:goal", "Translate a human goal; start a campaign from it."),
    "campaign": ("manager.cli.campaign_cmd:campaign", "List, pause, resume or abandon campaigns."),
    "approve": ("manager.cli.review_cmd:approve", "Approve a change that awaits a human."),
    "reject": ("manager.cli.review_cmd:reject", "Reject a change that awaits a human, with a reason."),
    "rollback": ("manager.cli.review_cmd:rollback", "Roll back an applied change (asks for confirmation)."),
    "history": ("manager.cli.history_cmd:history", "The change log: list entries, verify the hash chain."),
    "report": ("manager.cli.report_cmd:report", "Write a Markdown report of a campaign or period."),
    "decide": ("manager.cli.decide_cmd:decide", "Evaluate fact sets (JSON on stdin) by the active rules."),
    "rules": ("manager.cli.rules_cmd:rules", "Check, test, explain the rule files; write their JSON Schema."),
    "diagram": ("manager.cli.diagram_cmd:diagram", "Print the lifecycle state machines as mermaid diagrams."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(SUBCOMMANDS) + sorted(set(super().list_commands(ctx)) - set(SUBCOMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in SUBCOMMANDS:
            module_name, attr = SUBCOMMANDS[name][0].split(":")
            return getattr(importlib.import_module(module_name), attr)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Help from the table, so `--help` imports no subcommand (no rules engine at start-up).
        rows = [(name, SUBCOMMANDS[name][1]) for name in SUBCOMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, invoke_without_command=True)
@click.option(
    "--workspace",
    "-w",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="MAAS_MANAGER_WORKSPACE",
    default=None,
    help="Workspace folder (store, rule files, config). Env: MAAS_MANAGER_WORKSPACE. Default: ./maas-workspace",
)
@click.option("--read-only", is_flag=True,
              help="Look, never change: no engine, no approvals, no goals (in the TUI and in every command).")
@click.pass_context
def main(ctx: click.Context, workspace: Path | None, read_only: bool) -> None:
    """The Manager of a self-learning memory service.

    With no subcommand, opens the TUI on the workspace.
    """
    ctx.obj = {"workspace": resolve_workspace(workspace), "read_only": read_only}
    if ctx.invoked_subcommand is None:
        from tui.app import run_tui  # textual loads only for the TUI

        run_tui(ctx.obj["workspace"], read_only=read_only)
