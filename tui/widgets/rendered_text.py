"""A long read-only text drawn off the event loop.

Textual's Markdown widget makes a widget of every block: the meta-prompt's hundred-odd
blocks took 100-180 ms of the event loop to mount, style and lay out, and again when
the text changed (``bench/bench_tui.py``). Here the renderable is turned into lines by
Rich in a thread worker, at the pane's width, and the widget only hands out the lines
the screen shows (Textual's line API): one widget however long the text.
"""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console, ConsoleRenderable
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import Worker, WorkerState

from tui import heap


def render_lines(renderable: ConsoleRenderable, width: int) -> list[Strip]:
    """``renderable`` as lines of ``width`` cells (safe in a thread: a console of its own,
    not the app's, whose lock the event loop takes to draw every widget)."""
    console = Console(file=io.StringIO(), width=width, force_terminal=True, color_system="truecolor",
                      legacy_windows=False, markup=False, highlight=False, emoji=False)
    lines = console.render_lines(renderable, console.options.update_width(width), pad=True)
    return [Strip(line, width) for line in lines]


class RenderedText(ScrollView, can_focus=True):
    """Shows ``update(renderable)``; lines are rendered in a worker, again when the width changes."""

    DEFAULT_CSS = """
    RenderedText {
        height: 1fr;
        scrollbar-gutter: stable;  /* the width to render at stays put when the scrollbar appears */
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._renderable: ConsoleRenderable | None = None
        self._lines: list[Strip] = []
        self._width = 0  # the width the lines were rendered at
        self._rendering: Worker | None = None

    @property
    def lines(self) -> list[Strip]:
        return self._lines

    def update(self, renderable: ConsoleRenderable) -> None:
        self._renderable = renderable
        self._render(self.scrollable_content_region.width)

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if self._renderable is not None and width != self._width:
            self._render(width)

    def _render(self, width: int) -> None:
        if width <= 0:
            return  # not laid out yet: the first resize renders it
        renderable = self._renderable
        assert renderable is not None

        def job() -> list[tuple[int, list[Strip]]]:
            return heap.parcel((width, render_lines(renderable, width)))

        # exclusive: a newer text or width cancels the older render (its lines are dropped)
        self._rendering = self.run_worker(job, thread=True, group="rendered-text", exclusive=True,
                                          exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "rendered-text":
            return
        event.stop()
        if event.worker is not self._rendering or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self._rendering = None
        if event.state == WorkerState.ERROR:
            error: Any = event.worker.error
            self.notify(f"Could not draw the text: {type(error).__name__}: {error}", severity="error",
                        markup=False)
            return
        self._width, self._lines = heap.unwrap(event.worker.result)
        self.virtual_size = Size(self._width, len(self._lines))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        index = scroll_y + y
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        return self._lines[index].crop_extend(scroll_x, scroll_x + width, self.rich_style).apply_style(
            self.rich_style)
