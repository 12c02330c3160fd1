"""Reads happen off the event loop: keys are handled while a read is still waiting, and
the answer of a read that a newer filter replaced never reaches the screen.

The store here is a real one whose change-log reads wait on a gate the test opens, so
nothing depends on how fast anything runs.
"""

from __future__ import annotations

import threading
from typing import Any

from textual.worker import WorkerState
from tui_pilot import run_async, settle, wait_for

from manager.workspace import store_dir
from store import Store
from tui.screens.help import HelpScreen
from tui.screens.history import HistoryScreen
from tui.widgets.lazy_table import LazyTable

GATE_S = 20.0  # a read still waiting after this long means the test is broken, not slow


class GatedStore:
    """A real store whose ``log`` reads matching ``gated`` wait until ``gate`` is set."""

    def __init__(self, store: Store, gated: dict[str, Any]) -> None:
        self._store = store
        self._gated = gated
        self.gate = threading.Event()
        self.waiting = threading.Event()  # a gated read has started

    def log(self, **query: Any) -> Any:
        if all(query.get(k) == v for k, v in self._gated.items()):
            self.waiting.set()
            if not self.gate.wait(GATE_S):
                raise TimeoutError("the test never opened the gate")
        return self._store.log(**query)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def gated_app(make, workspace, **gated: Any):
    app = make(screen="history", workspace=workspace)
    store = GatedStore(Store.open(store_dir(workspace)), gated)
    app.session._store = store  # the session hands this store to every read
    return app, store


async def started(pilot, store: GatedStore) -> None:
    """Until a gated read is waiting in its thread (the loop keeps running meanwhile)."""
    for _ in range(2000):
        if store.waiting.is_set():
            return
        await pilot.pause(0.01)
    raise AssertionError("no gated read started")


def rows_reading(app) -> bool:
    return any(w.group == "lazy-table" and w.state == WorkerState.RUNNING for w in app.workers)


@run_async
async def test_keys_are_handled_while_the_log_is_still_being_read(workspace, make) -> None:
    app, store = gated_app(make, workspace)  # every change-log read waits
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot, store)
        table = app.screen.query_one("#log", LazyTable)
        assert table.row_count == 0 and rows_reading(app)

        await pilot.press("question_mark")  # handled while the read waits in its thread
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert rows_reading(app) and not store.gate.is_set()

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        store.gate.set()
        await wait_for(pilot, lambda: table.row_count > 0, what="the rows once the read is let through")
        assert not rows_reading(app)


@run_async
async def test_a_newer_filter_wins_over_a_read_still_running(workspace, make) -> None:
    app, store = gated_app(make, workspace, kind="rules")  # only reads of the "rules" kind wait
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen: HistoryScreen = app.screen
        table = screen.query_one("#log", LazyTable)
        assert table.row_count > 0

        screen.set_filter(kind="rules")
        await started(pilot, store)
        screen.set_filter(kind="campaign")  # while the "rules" read still waits
        await wait_for(pilot, lambda: table.row_count > 0 and not rows_reading(app), what="the campaign rows")
        keys = [str(row.key.value) for row in table.ordered_rows]
        campaign_rows = {key: screen._entries[key].kind for key in keys}
        assert set(campaign_rows.values()) == {"campaign"}

        store.gate.set()  # the stale "rules" answer arrives now, and is dropped
        await app.workers.wait_for_complete()
        await settle(pilot)
        shown = [str(r.key.value) for r in table.ordered_rows]
        assert shown == list(campaign_rows)
        assert screen.where.kind == "campaign"
