"""The Manager's ToDo (seed 0.1): open work with live progress, then the last finished tasks."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.geometry import Size
from textual.widgets import Static

from manager.todo import TodoItem
from tui import format as fmt
from tui.text import line


def mark(item: TodoItem) -> Text:
    if item.needs_human:
        return Text("!", style="bold yellow")
    if item.done:
        return Text("✓", style="green")
    if item.status.startswith("failed") or item.status.startswith("cancelled"):
        return Text("✗", style="red")
    if item.status.startswith("running"):
        return Text("▶", style="cyan")
    return Text("·", style="dim")


def todo_table(items: Sequence[TodoItem]) -> Table:
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(no_wrap=True)
    table.add_column(ratio=1, no_wrap=True, overflow="ellipsis", min_width=14)
    table.add_column(no_wrap=True, justify="right", max_width=40, overflow="ellipsis")
    for item in items:
        finished = item.done or item.status.startswith(("completed", "failed", "cancelled"))
        style = "dim" if finished and not item.needs_human else ""
        if item.progress and not finished:
            done, total = item.progress
            status = Text(f"{fmt.progress_bar(done, total, 10)} {done}/{total}", style="cyan")
        elif item.needs_human:
            status = Text("awaits a reviewer", style="yellow")
        else:
            status = line(item.status, style="red" if item.status.startswith("failed") else style, limit=40)
        table.add_row(mark(item), line(item.title, style=style), status)
    return table


class TodoView(Static):
    rows = 0  # items shown: one line each

    def show(self, items: Sequence[TodoItem]) -> None:
        self.rows = len(items)
        if not items:
            self.update(Text("Nothing to do.", style="dim"))
            return
        self.update(todo_table(items))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # one line an item (no cell wraps): counted, not drawn a second time to measure
        if width and self.rows:
            return self.rows
        return super().get_content_height(container, viewport, width)
