"""One change-log entry in full: what happened, why, which rules fired on which facts, its hash."""

from __future__ import annotations

import json

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from store.models import ChangeLogEntry
from tui.data.experiments import fired_list
from tui.data.history import when
from tui.text import literal
from tui.widgets import evidence


def entry_body(entry: ChangeLogEntry) -> Group:
    head = evidence.grid()
    head.add_row("at (UTC)", Text(when(entry.at)))
    head.add_row("kind", Text(entry.kind))
    head.add_row("by", literal(f"{entry.initiator}: {entry.actor}"))
    if entry.campaign_id:
        head.add_row("campaign", literal(entry.campaign_id))
    if entry.experiment_id:
        head.add_row("experiment", literal(entry.experiment_id))
    head.add_row("what", literal(entry.summary))
    head.add_row("why", literal(entry.reason or "—"))
    parts = [head, Text(""), Text("Rules that fired", style="bold underline"),
             evidence.fired(fired_list(entry.fired))]
    facts = [f.get("facts") for f in entry.fired if isinstance(f, dict) and f.get("facts")]
    if facts:
        parts += [Text(""), Text("Facts they fired on", style="bold underline"),
                  literal(json.dumps(facts, indent=1, sort_keys=True, default=str))]
    if entry.data:
        parts += [Text(""), Text("Data", style="bold underline"),
                  literal(json.dumps(entry.data, indent=1, sort_keys=True, default=str))]
    parts += [Text(""), Text.assemble(("hash ", "dim"), entry.hash, ("  after ", "dim"), entry.prev_hash or "—")]
    return Group(*parts)


class LogEntryModal(ModalScreen[str | None]):
    """Dismisses with an experiment id when asked to open it, else None."""

    BINDINGS = [
        Binding("escape,enter", "close", "Close", id="entry.close", tooltip="Back to the list"),
        Binding("o", "open_experiment", "Open experiment", id="entry.open",
                tooltip="Show the experiment this entry is about"),
    ]

    def __init__(self, entry: ChangeLogEntry) -> None:
        super().__init__()
        self.entry = entry

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog -tall"):
            yield Label(literal(f"Change log entry {self.entry.seq}"), classes="dialog-title")
            with VerticalScroll(classes="dialog-body", id="entry-body"):
                yield Static(entry_body(self.entry))
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#entry-body").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_experiment":
            return bool(self.entry.experiment_id)
        return True

    def action_close(self) -> None:
        self.dismiss(None)

    def action_open_experiment(self) -> None:
        self.dismiss(self.entry.experiment_id)
