"""Every key of every screen, read from the bindings themselves so the list never drifts."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Label, Static

from tui.screens.base import Page

GENERAL = (
    ("tab / shift+tab", "move between panes and filters"),
    ("↑ ↓ PgUp PgDn Home End", "move in a list; long lists load more as you go"),
    ("enter", "open the highlighted row"),
    ("ctrl+p", "command palette: screens, experiments, campaigns"),
)


def bindings_table(app, bindings: list[Binding]) -> Table:
    table = Table(box=None, padding=(0, 1), show_header=False, expand=True)
    table.add_column(no_wrap=True, style="bold cyan", min_width=10)
    table.add_column(no_wrap=True)
    table.add_column(ratio=1, style="dim")
    for b in bindings:
        keys = " / ".join(app.get_key_display(b.with_key(k.strip())) for k in b.key.split(","))
        table.add_row(keys, b.description, b.tooltip)
    return table


def help_sections(app) -> list[tuple[str, list[Binding]]]:
    from tui.modals.approval import ApprovalModal
    from tui.modals.confirm import ConfirmModal
    from tui.modals.log_entry import LogEntryModal
    from tui.screens.approvals import ApprovalsScreen
    from tui.screens.campaigns import CampaignsScreen
    from tui.screens.experiment import ExperimentScreen
    from tui.screens.experiments import ExperimentsScreen
    from tui.screens.goal import GoalScreen
    from tui.screens.history import HistoryScreen
    from tui.screens.rules import RulesScreen

    sections = [("Everywhere", list(type(app).BINDINGS))]
    for title, cls in (("Campaigns", CampaignsScreen), ("Approvals", ApprovalsScreen),
                       ("Approval prompt", ApprovalModal), ("Experiments", ExperimentsScreen),
                       ("Experiment", ExperimentScreen), ("History", HistoryScreen),
                       ("Change-log entry", LogEntryModal), ("Rules", RulesScreen),
                       ("New goal", GoalScreen), ("Confirmation", ConfirmModal)):
        sections.append((title, [b for b in cls.BINDINGS if isinstance(b, Binding)]))
    return sections


class HelpScreen(Page):
    BINDINGS = [
        Binding("escape,q", "back", "Back", id="help.back", tooltip="Close the help"),
    ]

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="help-body", classes="pane"):
            yield Label("Keys", classes="pane-title")
            general = Table(box=None, padding=(0, 1), show_header=False, expand=True)
            general.add_column(no_wrap=True, style="bold cyan", min_width=10)
            general.add_column(ratio=1)
            for keys, what in GENERAL:
                general.add_row(keys, what)
            parts = [general, Text("")]
            for title, bindings in help_sections(self.app):
                parts += [Text(title, style="bold underline"), bindings_table(self.app, bindings), Text("")]
            if self.app.session.read_only:
                parts.append(Text("Read-only session: keys that change anything are off.", style="yellow"))
            yield Static(Group(*parts))

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_back(self) -> None:
        self.app.pop_screen()
