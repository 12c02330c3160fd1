"""The experiments registry, newest first, paged in as you scroll."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Select
from textual.widgets.select import InvalidSelectValueError

from store.models import Experiment
from tui import format as fmt
from tui.data.experiments import STATES, Choices, ExperimentFilter, experiment_rows, load_choices
from tui.screens.base import Page
from tui.text import line
from tui.widgets.lazy_table import LazyTable
from tui.widgets.tables import flex_width


CHANGE_TAKEN = 10 + 17 + 12 + 6 + 5 * 2 + 2 + 1  # the other columns, cell and pane padding, scrollbar


class ExperimentsScreen(Page):
    MODE = "experiments"
    show_unchanged = True
    BINDINGS = [
        Binding("o", "open", "Open", id="experiments.open", tooltip="The experiment in full (Enter does the same)"),
        Binding("f", "focus_filters", "Filter", id="experiments.filter", tooltip="Move to the filters"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.where = ExperimentFilter()
        self._choices_shown: tuple | None = None
        self._shown_once = False

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="filters"):
            yield Select([], prompt="any campaign", id="campaign", compact=True)
            yield Select([(s, s) for s in STATES], prompt="any state", id="state", compact=True)
        with Vertical(classes="pane"):
            yield Label("Experiments", id="experiments-title", classes="pane-title")
            table = LazyTable(id="experiments", pause=self.app.beat.give_way)
            # fixed widths: rows paged in are not measured one by one
            table.add_column("experiment", key="id", width=10)
            table.add_column("change", key="title", width=flex_width(self.app.size.width, CHANGE_TAKEN))
            table.add_column("state", key="state", width=17)
            table.add_column("verdict", key="verdict", width=12)
            table.add_column("golden", key="golden", width=6)
            yield table

    def on_mount(self) -> None:
        self.query_one("#experiments", LazyTable).focus()
        self._reset_rows()

    def set_filter(self, campaign_id: str | None = None, state: str | None = None) -> None:
        self.where = ExperimentFilter(campaign_id, state)
        self._sync_selects()
        self._reset_rows()
        self.reload()  # the count in the title follows the filter

    def _sync_selects(self) -> None:
        with self.prevent(Select.Changed):
            self._set_select("#campaign", self.where.campaign_id)
            self._set_select("#state", self.where.state)

    def _set_select(self, selector: str, value: str | None) -> None:
        select = self.query_one(selector, Select)
        if value is None:
            select.clear()
            return
        try:
            select.value = value
        except InvalidSelectValueError:  # not among the options (yet): the filter still applies
            pass

    def _reset_rows(self) -> None:
        where, session = self.where, self.session
        width = self.query_one("#experiments", LazyTable).columns["title"].width

        def rows(offset: int, limit: int) -> list:
            return [(r.id, (Text(r.id), line(r.title, limit=width),
                            Text(r.state, style=fmt.state_style(r.state)), Text(r.verdict),
                            Text(r.golden, style="green" if r.golden == "apply" else "red" if r.golden else "")))
                    for r in experiment_rows(session.store, where, offset, limit)]

        self.query_one("#experiments", LazyTable).reset(rows)

    def fetch(self, session: Any) -> tuple[Choices, int]:
        return load_choices(session.store), session.store.count(Experiment, **self.where.equals())

    def show(self, data: tuple[Choices, int]) -> None:
        choices, total = data
        if choices.campaigns != self._choices_shown:
            self._choices_shown = choices.campaigns
            with self.prevent(Select.Changed):
                select = self.query_one("#campaign", Select)
                select.set_options([(line(f"{cid} {name}", limit=40), cid) for cid, name in choices.campaigns])
                self._set_select("#campaign", self.where.campaign_id)
        self.query_one("#experiments-title", Label).update(f"Experiments ({fmt.count(total, 'match')}, newest first)"
                                                             if self.where.equals() else
                                                             f"Experiments ({total:,}, newest first)")
        if self._shown_once:  # the store moved: re-read the rows on screen
            self.query_one("#experiments", LazyTable).refresh_head()
        self._shown_once = True

    @on(Select.Changed)
    def _filter_changed(self, event: Select.Changed) -> None:
        value = None if event.value is Select.NULL else str(event.value)
        if event.select.id == "campaign":
            where = ExperimentFilter(value, self.where.state)
        else:
            where = ExperimentFilter(self.where.campaign_id, value)
        if where == self.where:
            return
        self.where = where
        self._reset_rows()
        self.reload()

    @on(LazyTable.RowSelected, "#experiments")
    def _selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        key = self.query_one("#experiments", LazyTable).current_key
        if key:
            self.app.open_experiment(key)

    def action_focus_filters(self) -> None:
        self.query_one("#campaign", Select).focus()
