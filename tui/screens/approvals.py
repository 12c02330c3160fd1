"""The approvals queue: changes the policy gate would not apply without a reviewer."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Label, Static

from tui.data.experiments import QueueItem, load_queue
from tui.screens.base import Page
from tui.text import line, literal
from tui.widgets import evidence
from tui.widgets.evidence import at_text
from tui.widgets.tables import Table, flex_width, sync_rows


CHANGE_TAKEN = 10 + 10 + 19 + 4 * 2 + 2 + 1  # the other columns, cell and pane padding, scrollbar


class ApprovalsScreen(Page):
    MODE = "approvals"
    BINDINGS = [
        Binding("r", "review", "Review…", id="approvals.review",
                tooltip="See the evidence, then approve or reject (Enter does the same)"),
        Binding("o", "open", "Open", id="approvals.open", tooltip="The experiment in full"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: tuple[QueueItem, ...] = ()

    def compose_body(self) -> ComposeResult:
        with Vertical(classes="pane", id="queue-pane"):
            yield Label("Awaiting approval", id="queue-title", classes="pane-title")
            table = Table(id="queue", cursor_type="row")
            table.add_column("experiment", key="id", width=10)
            table.add_column("change", key="title", width=flex_width(self.app.size.width, CHANGE_TAKEN))
            table.add_column("campaign", key="campaign", width=10)
            table.add_column("waiting since (UTC)", key="since", width=19)
            yield table
            yield Label("", id="queue-empty", classes="empty")
        with VerticalScroll(classes="pane", id="request-pane"):
            yield Label("The request", classes="pane-title")
            yield Static(id="request")

    def on_mount(self) -> None:
        self.query_one("#queue", DataTable).focus()

    def fetch(self, session: Any) -> tuple[QueueItem, ...]:
        return load_queue(session.store)

    def show(self, items: tuple[QueueItem, ...]) -> None:
        self.items = items
        table = self.query_one("#queue", DataTable)
        sync_rows(table, [(item.id, (Text(item.id), line(item.title, limit=table.columns["title"].width), Text(item.campaign_id),
                                     Text(at_text(item.waiting_since)))) for item in items])
        self.query_one("#queue-title", Label).update(f"Awaiting approval ({len(items)})")
        empty = self.query_one("#queue-empty", Label)
        empty.update("" if items else "Nothing awaits approval. New requests appear here and as a notification.")
        empty.display = not items
        self._show_request()

    def _show_request(self) -> None:
        item = self._current()
        if item is None:
            self.query_one("#request", Static).update("")
            return
        grid = evidence.grid()
        grid.add_row("change", literal(item.title))
        grid.add_row("campaign", literal(f"{item.campaign_id} {item.campaign_name}"))
        grid.add_row("why a human", literal(item.why or "the policy gate asked for a reviewer"))
        grid.add_row("golden set", literal(item.golden or "—"))
        grid.add_row("teacher's reason", literal(item.hypothesis or "—"))
        self.query_one("#request", Static).update(grid)

    @on(DataTable.RowHighlighted, "#queue")
    def _highlighted(self) -> None:
        self._show_request()

    def _current(self) -> QueueItem | None:
        table = self.query_one("#queue", DataTable)
        if not self.items or not table.row_count:
            return None
        return self.items[min(table.cursor_row, len(self.items) - 1)]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "review":
            if self.app.session.read_only:
                return False
            return self._current() is not None or None
        if action == "open":
            return self._current() is not None or None
        return True

    @on(DataTable.RowSelected, "#queue")
    def _selected(self) -> None:
        if self.app.session.read_only:
            self.action_open()
        else:
            self.action_review()

    def action_review(self) -> None:
        if (item := self._current()) is not None:
            self.app.review(item.id)

    def action_open(self) -> None:
        if (item := self._current()) is not None:
            self.app.open_experiment(item.id)
