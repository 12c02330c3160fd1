"""The change log: filter by campaign, period, kind and initiator; open an entry to see why."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Select
from textual.widgets.select import InvalidSelectValueError

from tui.data.experiments import Choices, load_choices
from tui.data.history import INITIATORS, LOG_KINDS, PERIODS, LogFilter, log_page, log_total, when
from tui.modals.log_entry import LogEntryModal
from tui.screens.base import Page
from tui.text import line, safe
from tui.widgets.lazy_table import LazyTable
from tui.widgets.tables import flex_width

SUMMARY_TAKEN = 6 + 16 + 10 + 12 + 5 * 2 + 2 + 1  # the other columns, cell and pane padding, scrollbar
KIND_STYLES = {"rollback": "bold red", "error": "red", "change": "green", "approval": "yellow", "rules": "magenta"}


class HistoryScreen(Page):
    MODE = "history"
    show_unchanged = True
    BINDINGS = [
        Binding("o", "open", "Why?", id="history.open", tooltip="The entry in full: reason, rules, facts (Enter)"),
        Binding("f", "focus_filters", "Filter", id="history.filter", tooltip="Move to the filters"),
        Binding("c", "clear_filters", "Clear", id="history.clear", tooltip="Show every entry"),
        Binding("v", "verify", "Verify", id="history.verify",
                tooltip="Check the hash chain of the whole change log"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.where = LogFilter()
        self._choices_shown: tuple | None = None
        self._shown_once = False
        self._entries: dict[str, Any] = {}

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="filters"):
            yield Select([], prompt="any campaign", id="campaign", compact=True)
            yield Select([(label, label) for label, _ in PERIODS], value="any time", allow_blank=False,
                         id="period", compact=True)
            yield Select([(k, k) for k in LOG_KINDS], prompt="any kind", id="kind", compact=True)
            yield Select([(i, i) for i in INITIATORS], prompt="anyone", id="initiator", compact=True)
        with Vertical(classes="pane"):
            yield Label("Change log", id="history-title", classes="pane-title")
            table = LazyTable(id="log", pause=self.app.beat.give_way)
            # fixed widths: rows paged in are not measured one by one
            table.add_column("seq", key="seq", width=6)
            table.add_column("at (UTC)", key="at", width=16)
            table.add_column("kind", key="kind", width=10)
            table.add_column("by", key="by", width=12)
            table.add_column("what", key="summary", width=flex_width(self.app.size.width, SUMMARY_TAKEN))
            yield table

    def on_mount(self) -> None:
        self.query_one("#log", LazyTable).focus()
        self._reset_rows()

    # -- filters ------------------------------------------------------------------------

    def set_filter(self, **values: Any) -> None:
        self.where = LogFilter(**values)
        self._sync_selects()
        self._reset_rows()
        self.reload()

    def _sync_selects(self) -> None:
        with self.prevent(Select.Changed):
            for name in ("campaign", "kind", "initiator"):
                select = self.query_one(f"#{name}", Select)
                value = getattr(self.where, f"{name}_id" if name == "campaign" else name)
                if value is None:
                    select.clear()
                else:
                    try:
                        select.value = value
                    except InvalidSelectValueError:
                        pass
            self.query_one("#period", Select).value = self.where.period

    @on(Select.Changed)
    def _filter_changed(self, event: Select.Changed) -> None:
        value = None if event.value is Select.NULL else str(event.value)
        field = {"campaign": "campaign_id", "period": "period", "kind": "kind", "initiator": "initiator"}[
            str(event.select.id)]
        values = {f: getattr(self.where, f) for f in ("campaign_id", "experiment_id", "kind", "initiator", "period")}
        values[field] = value if value is not None or field != "period" else "any time"
        if LogFilter(**values) == self.where:
            return
        self.where = LogFilter(**values)
        self._reset_rows()
        self.reload()

    def action_clear_filters(self) -> None:
        self.set_filter()

    def action_focus_filters(self) -> None:
        self.query_one("#campaign", Select).focus()

    # -- rows ---------------------------------------------------------------------------

    def _reset_rows(self) -> None:
        where, session, now = self.where, self.session, self.app.now
        entries = self._entries = {}
        width = self.query_one("#log", LazyTable).columns["summary"].width

        def rows(offset: int, limit: int) -> list:
            out = []
            for e in log_page(session.store, where, offset, limit, now):
                entries[str(e.seq)] = e
                out.append((str(e.seq), (Text(str(e.seq), style="dim"), Text(when(e.at)[:16]),
                                         Text(e.kind, style=KIND_STYLES.get(e.kind, "")),
                                         line(f"{e.initiator}:{e.actor}", limit=12), line(e.summary, limit=width))))
            return out

        self.query_one("#log", LazyTable).reset(rows)

    def fetch(self, session: Any) -> tuple[Choices, int | None]:
        return load_choices(session.store), log_total(session.store, self.where)

    def show(self, data: tuple[Choices, int | None]) -> None:
        choices, total = data
        if choices.campaigns != self._choices_shown:
            self._choices_shown = choices.campaigns
            with self.prevent(Select.Changed):
                select = self.query_one("#campaign", Select)
                select.set_options([(line(f"{cid} {name}", limit=40), cid) for cid, name in choices.campaigns])
                if self.where.campaign_id:
                    try:
                        select.value = self.where.campaign_id
                    except InvalidSelectValueError:
                        pass
        title = "Change log"
        if self.where.experiment_id:
            title += f" · experiment {safe(self.where.experiment_id)}"
        title += f" ({total:,} entries, newest first)" if total is not None else " (filtered, newest first)"
        self.query_one("#history-title", Label).update(title)
        if self._shown_once:
            self.query_one("#log", LazyTable).refresh_head()
        self._shown_once = True

    # -- actions ------------------------------------------------------------------------

    @on(LazyTable.RowSelected, "#log")
    def _selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        key = self.query_one("#log", LazyTable).current_key
        entry = self._entries.get(key or "")
        if entry is None:
            return

        def opened(experiment_id: str | None) -> None:
            if experiment_id:
                self.app.open_experiment(experiment_id)

        self.app.push_screen(LogEntryModal(entry), opened)

    @work(thread=True, group="verify", exclusive=True)
    def action_verify(self) -> None:
        result = self.session.store.verify_log()
        if result.ok:
            text = f"Change log intact: {result.checked:,} entries verified."
        else:
            text = f"Change log broken at entry {result.first_bad_seq}: {safe(result.reason)}"
        self.app.call_from_thread(self.notify, text, title="Hash chain",
                                  severity="information" if result.ok else "error", markup=False)
