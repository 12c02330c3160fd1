"""A table that pages rows in as the cursor nears its end, so a long list never stalls the UI.

Rows come from a ``loader(offset, limit)`` that runs in a thread worker and returns
``(key, cells)`` pairs, newest first, the first cell showing the key; ``order(key)`` gives
the number they are sorted by (a sequence number or the number in a record id). Keys de-duplicate rows when new
records shift the offsets while someone is reading. When the store changes, only the
first page is read again: new rows are merged in at the top, changed cells updated,
rows that no longer match removed; rows further down stay as they were loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from textual.binding import Binding
from textual.message import Message
from textual.worker import Worker, WorkerState

from tui import heap
from tui.widgets.tables import Layout, Table, cursor_key, row_keys, sync_rows, update_cells

Row = tuple[str, Sequence[Any]]
Loader = Callable[[int, int], list[Row]]


def id_order(key: str) -> int:
    """``exp-000123`` or ``123`` -> 123."""
    tail = key.rpartition("-")[2]
    return int(tail) if tail.isdigit() else 0


class LazyTable(Table):
    BINDINGS = [
        # rows, not columns: Home and End go to the first and the last row loaded so far
        Binding("home", "scroll_top", "First row", show=False, id="list.first", tooltip="The newest row"),
        Binding("end", "scroll_bottom", "Last row", show=False, id="list.last",
                tooltip="The last row loaded; older rows load as you reach it"),
    ]
    DEFAULT_CSS = """
    LazyTable {
        height: 1fr;
    }
    """

    class Loaded(Message):
        """Rows arrived (the first page after ``reset``, or one more page)."""

        def __init__(self, table: "LazyTable") -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> "LazyTable":
            return self.table

    def __init__(self, *, chunk: int = 100, margin: int = 20, order: Callable[[str], int] = id_order,
                 pause: Callable[[], None] | None = None, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.pause = pause  # what the reading thread calls between rows it lays out (the app's LoopBeat)
        self.chunk = chunk
        self.margin = margin
        self.order = order
        self.exhausted = False
        self._loader: Loader | None = None
        self._keys: set[str] = set()
        self._worker: Worker | None = None  # the read whose rows are wanted; None when idle
        self._head_wanted = False

    # -- loading -----------------------------------------------------------------

    def reset(self, loader: Loader) -> None:
        """Show the rows of ``loader`` from the top (a read still running for the old loader is dropped)."""
        self._loader = loader
        self.exhausted = False
        self._head_wanted = False
        self._fetch("reset", 0, self.chunk)

    def refresh_head(self) -> None:
        """Read the first page again (the store changed); after the read that is running, if any."""
        if self._loader is None:
            return
        if self._worker is not None:
            self._head_wanted = True
        else:
            self._fetch("head", 0, self.chunk)

    def _more(self) -> None:
        if self._loader is None or self._worker is not None or self.exhausted:
            return
        self._fetch("more", self.row_count, self.chunk)

    def _fetch(self, purpose: str, offset: int, limit: int) -> None:
        loader, lay_out = self._loader, self.layout_job(self.pause)
        assert loader is not None

        def read() -> list[tuple[str, int, list[Row], Layout]]:
            rows = loader(offset, limit)
            # new rows are laid out here, not on the event loop; a fresh first page mostly repeats rows shown
            return heap.parcel((purpose, limit, rows, (lay_out(rows) if purpose != "head" else {})))

        # exclusive: a read for an older loader is cancelled (its thread finishes, its rows are dropped)
        self._worker = self.run_worker(read, thread=True, group="lazy-table", exclusive=True, exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "lazy-table" or event.state not in (
                WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        event.stop()
        if event.worker is not self._worker:
            return  # superseded by a reset: a newer read is on its way
        if event.state == WorkerState.SUCCESS:
            self._take(*heap.unwrap(event.worker.result))
        elif event.state == WorkerState.ERROR:
            self.notify(f"Could not read rows: {event.worker.error}", severity="error", markup=False)
        # only now: adding rows moves the cursor, which must not ask for more mid-way
        self._worker = None
        if self._head_wanted:
            self._head_wanted = False
            self._fetch("head", 0, self.chunk)
        elif self.row_count and self.cursor_row >= self.row_count - self.margin:
            self._more()  # the cursor reached the end while this read ran

    def _take(self, purpose: str, limit: int, rows: list[Row], layout: Layout) -> None:
        if purpose == "more":
            self._append(rows)
            self.exhausted = len(rows) < limit
        elif purpose == "reset":
            sync_rows(self, _unique(rows))
            self._keys = set(row_keys(self))
            self.exhausted = len(rows) < limit
        else:
            self._merge_head(_unique(rows), complete=len(rows) < limit)
        self.adopt_layout(layout)
        self.post_message(self.Loaded(self))

    def _append(self, rows: Sequence[Row]) -> None:
        for key, cells in rows:
            if key not in self._keys:
                self._keys.add(key)
                self.add_row(*cells, key=key)

    def _merge_head(self, rows: list[Row], complete: bool) -> None:
        """Fold a fresh first page into the rows shown, touching only what changed."""
        fresh = dict(rows)
        floor = min((self.order(k) for k in fresh), default=None)
        gone = [k for k in self._keys if k not in fresh and (complete or (floor is not None and self.order(k) >= floor))]
        new = [(k, cells) for k, cells in rows if k not in self._keys]
        if not gone and not new:  # the rows shown stay, in their order: only cells can differ
            update_cells(self, rows)
            return
        current = cursor_key(self)
        for key in gone:
            self.remove_row(key)
            self._keys.discard(key)
        update_cells(self, [(key, cells) for key, cells in rows if key in self._keys])
        self._append(new)
        if new:  # added at the end: move them up where they belong (the first column shows the key)
            self.sort(next(iter(self.columns)), key=lambda cell: self.order(str(getattr(cell, "plain", cell))),
                      reverse=True)
        if current in self._keys:
            self.move_cursor(row=self.get_row_index(current), animate=False)

    # -- the cursor ----------------------------------------------------------------

    @property
    def current_key(self) -> str | None:
        return cursor_key(self)

    def watch_cursor_coordinate(self, old: Any, new: Any) -> None:
        super().watch_cursor_coordinate(old, new)
        if self.row_count and new.row >= self.row_count - self.margin:
            self._more()


def _unique(rows: Sequence[Row]) -> list[Row]:
    seen: dict[str, Row] = {}
    for row in rows:
        seen.setdefault(row[0], row)
    return list(seen.values())
