"""What every page of the app shares: header, screen bar, footer, and store-driven refresh.

A page reads the store in a thread worker (``fetch``) and shows the result on the
event loop (``show``). It refreshes when the store's generation moves while it is
on screen, and when it comes back into view after the store moved; a refresh asked
for while one is running is folded into one more run afterwards.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import ScreenResume
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState

from tui import heap
from tui.messages import StoreChanged
from tui.widgets.navbar import NavBar
from tui.widgets.tables import Table


class Page(Screen):
    MODE: ClassVar[str] = ""
    # pages whose rows come from elsewhere (a LazyTable) re-check them even when their own data is the same
    show_unchanged: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__()
        self.seen_generation = -2
        self._fetching = False
        self._again = False
        self._shown: Any = None
        self._settled = False
        self._offered: tuple | None = None
        self._styled_for: tuple | None = None  # _style_inputs() when the page was last hidden
        self._skip_css_refresh()

    def _skip_css_refresh(self) -> None:
        """A page styled after the app's last stylesheet refresh needs no refresh of its own.

        Textual parses every CSS source again, twice, on each mode's first visit (and once
        more on the first return to it), 50-100 ms on the event loop, so that a page styled
        by an older stylesheet catches up; a page created or mounted since the stylesheet
        was last refreshed never was. The app's first page does need it (it sets the theme).
        """
        app = self.app
        if getattr(app, "css_refreshed_at", None) == app._css_update_count:
            self._css_update_count = app._css_update_count

    @property
    def session(self):
        return self.app.session

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar(self.MODE or self.app.current_mode)
        yield from self.compose_body()
        yield Static("", id="page-problem", classes="problem")
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    # -- refresh ---------------------------------------------------------------------

    def on_mount(self) -> None:
        self._skip_css_refresh()
        self._styled_for = self._style_inputs()  # its widgets were styled as they mounted
        self.reload()

    def on_screen_resume(self, event: ScreenResume) -> None:
        # Runs before Screen's own handler, which restyles every widget of the page (30-40 ms
        # on the event loop at each page switch) in case styles changed while it was hidden.
        if self._styled_for is not None and self._styled_for == self._style_inputs():
            event.refresh_styles = False  # as Textual itself does when an opaque modal closes
        if self.seen_generation != self.app.generation:
            self.reload()

    def on_screen_suspend(self) -> None:
        self._styled_for = self._style_inputs()
        for table in self.query(Table):
            table.forget_drawings()

    def _style_inputs(self) -> tuple:
        """What the app-wide styling of a page depends on: stylesheet, theme and app classes
        (a widget whose own classes change while hidden is restyled then, by Textual)."""
        app = self.app
        return app._css_update_count, app.theme, app.ansi_color, frozenset(app.classes)

    def on_store_changed(self, message: StoreChanged) -> None:
        if message.generation != self.seen_generation:
            self.reload()

    def reload(self) -> None:
        if self._fetching:
            self._again = True
            return
        self._fetching = True
        generation, session = self.app.generation, self.session
        self.run_worker(lambda: heap.parcel((generation, self.fetch(session))), thread=True, group="page-fetch",
                        exit_on_error=False)

    def refresh_offered(self) -> None:
        """Have the footer show what ``check_action`` now says of this page's keys, if that changed
        (Textual rebuilds the footer's widgets on every refresh, and pages refresh at every commit)."""
        offered = tuple(self.check_action(b.action, ()) for b in self.BINDINGS if isinstance(b, Binding))
        if offered != self._offered:
            self._offered = offered
            self.refresh_bindings()

    def fetch(self, session: Any) -> Any:
        """Read what the page shows (runs in a thread: no widget access here)."""
        return None

    def show(self, data: Any) -> None:
        """Put fetched data on screen (runs on the event loop)."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "page-fetch" or event.state not in (
                WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        self._fetching = False
        problem = self.query_one("#page-problem", Static)
        if event.state == WorkerState.SUCCESS:
            generation, data = heap.unwrap(event.worker.result)
            self.seen_generation = generation
            problem.update("")
            problem.set_class(False, "-shown")
            if data is None or data != self._shown or self.show_unchanged:
                self._shown = data
                self.show(data)
                self.refresh_offered()  # what the footer offers may depend on what is shown
            if self.MODE and not self._settled:
                # a page of a mode lives as long as the app: out of the collector's way once filled
                self._settled = True
                self.call_after_refresh(heap.settle_page)
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            problem.update(Text(f"Could not read the store: {type(error).__name__}: {error}", style="bold red"))
            problem.set_class(True, "-shown")
        if self._again:
            self._again = False
            self.reload()
