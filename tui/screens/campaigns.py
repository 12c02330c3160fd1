"""The main screen: campaigns and their cycle state, targets with gaps and trends, what needs a human, the ToDo."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Label, OptionList
from textual.widgets.option_list import Option

from tui import format as fmt
from tui.data.dashboard import CampaignRow, Dashboard, HumanItem, RowCache, load_dashboard
from tui.screens.base import Page
from tui.text import line, literal
from tui.widgets.tables import Table, sync_rows
from tui.widgets.targets import TargetsView
from tui.widgets.todo import TodoView


class CampaignsScreen(Page):
    MODE = "campaigns"
    BINDINGS = [
        Binding("e", "experiments", "Experiments", id="campaigns.experiments",
                tooltip="The experiments of the highlighted campaign (Enter does the same)"),
        Binding("p", "pause_resume", "Pause/resume", id="campaigns.pause",
                tooltip="Pause the highlighted campaign, or resume it"),
        Binding("x", "abandon", "Abandon…", id="campaigns.abandon",
                tooltip="Give the highlighted campaign up (asks for confirmation and a reason)"),
        Binding("h", "history", "History", id="campaigns.history", show=False,
                tooltip="The change log of the highlighted campaign"),
        Binding("m", "meta_prompt", "Meta-prompt", id="campaigns.prompt", show=False,
                tooltip="The Manager's meta-prompt for the highlighted campaign"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data: Dashboard | None = None
        self._campaign_shown: CampaignRow | None = None
        self._needs_human_shown: tuple | None = None
        self._todo_shown: tuple | None = None
        self._rows = RowCache()  # used by one fetch at a time (Page runs them one after another)

    def compose_body(self) -> ComposeResult:
        with Vertical(id="campaigns-pane", classes="pane"):
            yield Label("Campaigns", classes="pane-title")
            # fixed widths: a refresh never re-measures, and pictures do not depend on when it ran
            table = Table(id="campaigns", cursor_type="row")
            table.add_column("id", key="id", width=10)
            table.add_column("campaign", key="name", width=22)
            table.add_column("state", key="state", width=9)
            table.add_column("cycle", key="cycle", width=5)
            table.add_column("phase", key="phase", width=10)
            table.add_column("gaps", key="gaps", width=7)
            yield table
        with Horizontal(id="middle"):
            with Vertical(id="targets-pane", classes="pane"):
                yield Label("Targets", id="targets-title", classes="pane-title")
                yield Label("", id="goal-line")
                yield TargetsView(id="targets")
            with Vertical(id="human-pane", classes="pane"):
                yield Label("Needs a human", classes="pane-title")
                yield OptionList(id="needs-human")
        with VerticalScroll(id="todo-pane", classes="pane"):
            yield Label("ToDo", classes="pane-title")
            yield TodoView(id="todo")

    def on_mount(self) -> None:
        self.query_one("#campaigns", DataTable).focus()

    def fetch(self, session: Any) -> Dashboard:
        return load_dashboard(session.store, session.default_targets(), self._rows)

    # -- showing ---------------------------------------------------------------------

    def show(self, data: Dashboard) -> None:
        self.data = data
        table = self.query_one("#campaigns", DataTable)
        rows = []
        for c in data.campaigns:
            if c.cycle_number is None or not c.targets or c.targets[0].gap is None:
                gaps = Text("—", style="dim")
            else:
                gaps = Text(f"{c.over_threshold} over", style="bold red") if c.over_threshold \
                    else Text("within", style="green")
            rows.append((c.id, (
                Text(c.id), line(c.name, limit=22), Text(c.state, style=fmt.state_style(c.state)),
                Text(str(c.cycle_number) if c.cycle_number is not None else "—"),
                Text(c.cycle_state or "—", style="cyan" if c.cycle_state not in (None, "IDLE", "FAILED") else ""),
                gaps)))
        sync_rows(table, rows)
        self._show_campaign(self._current())
        if data.needs_human != self._needs_human_shown:
            self._needs_human_shown = data.needs_human
            self._show_needs_human(data.needs_human)
        if data.todo != self._todo_shown:
            self._todo_shown = data.todo
            self.query_one("#todo", TodoView).show(data.todo)

    def _current(self) -> CampaignRow | None:
        if self.data is None or not self.data.campaigns:
            return None
        table = self.query_one("#campaigns", DataTable)
        index = min(table.cursor_row, len(self.data.campaigns) - 1)
        return self.data.campaigns[max(index, 0)]

    def _show_campaign(self, campaign: CampaignRow | None) -> None:
        if campaign == self._campaign_shown and campaign is not None:
            return
        self._campaign_shown = campaign
        title = self.query_one("#targets-title", Label)
        goal = self.query_one("#goal-line", Label)
        if campaign is None:
            title.update("Targets")
            goal.update("")
        else:
            title.update(Text.assemble("Targets · ", campaign.id, " ", literal(campaign.name)))
            status = campaign.outcome or f"{campaign.autonomy} autonomy"
            goal.update(Text.assemble(("goal ", "dim"), literal(" ".join(campaign.goal_text.split())),
                                      ("  ·  ", "dim"), literal(status, style="dim")))
        self.query_one("#targets", TargetsView).show(campaign)

    def _show_needs_human(self, items: tuple[HumanItem, ...]) -> None:
        options = self.query_one("#needs-human", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        if not items:
            options.add_option(Option(Text("Nothing waits for you.", style="dim"), id="none", disabled=True))
            return
        for i, item in enumerate(items):
            options.add_option(Option(Text.assemble(("! ", "bold yellow"), literal(item.title), "\n  ",
                                                    literal(item.detail, style="dim")), id=str(i)))
        if highlighted is not None and highlighted < len(items):
            options.highlighted = highlighted

    @on(DataTable.RowHighlighted, "#campaigns")
    def _row_highlighted(self) -> None:
        self._show_campaign(self._current())
        self.refresh_offered()  # pause/resume and abandon depend on the campaign's state

    @on(DataTable.RowSelected, "#campaigns")
    def _row_selected(self) -> None:
        self.action_experiments()

    @on(OptionList.OptionSelected, "#needs-human")
    def _needs_human_selected(self, event: OptionList.OptionSelected) -> None:
        if self.data is None or event.option.id in (None, "none"):
            return
        item = self.data.needs_human[int(event.option.id)]
        if item.kind == "approval" and item.experiment_id:
            self.app.review(item.experiment_id)
        elif item.campaign_id:
            table = self.query_one("#campaigns", DataTable)
            table.move_cursor(row=table.get_row_index(item.campaign_id), animate=False)
            table.focus()

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("pause_resume", "abandon"):
            if self.app.session.read_only:
                return False
            campaign = self._current()
            if campaign is None:
                return None
            if action == "pause_resume":
                return campaign.state in ("active", "paused") or None
            return campaign.state in ("draft", "active", "paused") or None
        if action in ("experiments", "history", "meta_prompt"):
            return self._current() is not None or None
        return True

    def action_experiments(self) -> None:
        if (c := self._current()) is not None:
            self.app.show_experiments(campaign_id=c.id)

    def action_history(self) -> None:
        if (c := self._current()) is not None:
            self.app.show_history(campaign_id=c.id)

    def action_meta_prompt(self) -> None:
        if (c := self._current()) is not None:
            self.app.show_meta_prompt(campaign_id=c.id)

    def action_pause_resume(self) -> None:
        if (c := self._current()) is None:
            return
        verb = "resume" if c.state == "paused" else "pause"
        self.app.send_command(verb, {"campaign_id": c.id, "reason": f"{verb}d from the TUI"})

    def action_abandon(self) -> None:
        if (c := self._current()) is not None:
            self.app.confirm_abandon(c.id, c.name)
