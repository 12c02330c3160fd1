"""Rules for the policy owner: the files and their status, errors with file:line, reload, decisions, tests."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Label, Static

from tui.data.history import when
from tui.data.rules import DecisionRow, RulesStatus, TestsResult, latest_decisions, load_status, run_tests
from tui.modals.log_entry import LogEntryModal
from tui.screens.base import Page
from tui.text import line, literal
from tui.widgets.tables import Table, flex_width, sync_rows


WHAT_TAKEN = 5 + 10 + 24 + 4 * 2 + 2 + 1  # the other columns, cell and pane padding, scrollbar


def status_text(status: RulesStatus) -> Group:
    parts: list[Any] = []
    if status.problems:
        parts.append(Text(f"{len(status.problems)} problem(s): the engine refuses these files and keeps "
                          "the last good rules.", style="bold red"))
        for p in status.problems:
            parts.append(Text.assemble((f"{p.file}:{p.line}:{p.column}", "bold"), ": ", literal(p.message)))
    else:
        parts.append(Text.assemble(("All files validate", "bold green"),
                                   f" · fingerprint {(status.fingerprint or '')[:12]}"))
    last = status.last_load
    if last is not None:
        refused = bool(last.data.get("errors"))
        parts.append(Text.assemble(("Engine: ", "dim"), (last.summary, "red" if refused else ""),
                                   (f" (entry {last.seq}, {when(last.at)} UTC, by {last.actor})", "dim")))
    return Group(*parts)


def tests_text(result: TestsResult | None) -> Text | Group:
    if result is None:
        return Text("Not run yet: press t to run the rule tests in rules/tests.", style="dim")
    parts: list[Any] = [Text.assemble((f"{result.passed} passed", "bold green"), ", ",
                                      (f"{len(result.failures)} failed", "bold red" if result.failures else ""),
                                      (f", {len(result.errors)} file problem(s)" if result.errors else "",
                                       "bold red"))]
    parts += [literal(f, style="red") for f in result.failures + result.errors]
    if result.unexercised:
        parts.append(literal("No test makes these rules fire: " + ", ".join(result.unexercised), style="yellow"))
    return Group(*parts)


class RulesScreen(Page):
    MODE = "rules"
    BINDINGS = [
        Binding("r", "reload_rules", "Reload", id="rules.reload",
                tooltip="Ask the engine to reload the rule files; invalid files are refused"),
        Binding("t", "run_tests", "Run tests", id="rules.tests", tooltip="Run the rule tests in rules/tests"),
        Binding("o", "open", "Why?", id="rules.open", tooltip="The highlighted decision in full (Enter)"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.decisions: tuple[DecisionRow, ...] = ()
        self.tests: TestsResult | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="rules-top"):
            with Vertical(id="files-pane", classes="pane"):
                yield Label("Rule files", id="files-title", classes="pane-title")
                table = Table(id="files", cursor_type="row", show_cursor=False)
                table.add_column("file", key="file", width=24)
                table.add_column("status", key="status", width=8)
                yield table
            with VerticalScroll(id="status-pane", classes="pane"):
                yield Label("Status", classes="pane-title")
                yield Static(id="status")
                yield Label("Rule tests", classes="pane-title")
                yield Static(tests_text(None), id="tests")
        with Vertical(id="decisions-pane", classes="pane"):
            yield Label("Latest decisions and the rules that fired", classes="pane-title")
            table = Table(id="decisions", cursor_type="row")
            table.add_column("seq", key="seq", width=5)
            table.add_column("kind", key="kind", width=10)
            table.add_column("rules", key="rules", width=24)
            table.add_column("what", key="what", width=flex_width(self.app.size.width, WHAT_TAKEN))
            yield table

    def on_mount(self) -> None:
        self.query_one("#decisions", DataTable).focus()

    def fetch(self, session: Any) -> tuple[RulesStatus, tuple[DecisionRow, ...]]:
        return load_status(session.store, session.rules_folder), latest_decisions(session.store)

    def show(self, data: tuple[RulesStatus, tuple[DecisionRow, ...]]) -> None:
        status, decisions = data
        sync_rows(self.query_one("#files", DataTable), [
            (f.name, (line(f.name), Text(f"{f.problems} error(s)", style="bold red") if f.problems
                      else Text("ok", style="green"))) for f in status.files])
        self.query_one("#files-title", Label).update(Text.assemble("Rule files · ", literal(status.folder.name + "/")))
        self.query_one("#status", Static).update(status_text(status))
        self.decisions = decisions
        width = self.query_one("#decisions", DataTable).columns["what"].width
        sync_rows(self.query_one("#decisions", DataTable), [
            (str(d.seq), (Text(str(d.seq), style="dim"), Text(d.kind),
                          line(", ".join(d.rules), style="cyan", limit=24), line(d.summary, limit=width)))
            for d in decisions])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reload_rules":
            return not self.app.session.read_only
        if action == "open":
            return bool(self.decisions) or None
        return True

    def action_reload_rules(self) -> None:
        self.app.send_command("reload_rules", {})

    @work(thread=True, group="rule-tests", exclusive=True)
    def action_run_tests(self) -> None:
        self.app.call_from_thread(self._show_tests, Text("Running the rule tests…", style="dim"))
        try:
            result = run_tests(self.session.rules_folder)
        except Exception as exc:
            self.app.call_from_thread(self._show_tests, literal(
                f"The rule tests could not run: {type(exc).__name__}: {exc}", style="bold red"))
            return
        self.tests = result
        self.app.call_from_thread(self._show_tests, tests_text(result))

    def _show_tests(self, renderable: Any) -> None:
        self.query_one("#tests", Static).update(renderable)

    @on(DataTable.RowSelected, "#decisions")
    def _selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        table = self.query_one("#decisions", DataTable)
        if not self.decisions:
            return
        entry = self.decisions[min(table.cursor_row, len(self.decisions) - 1)].entry

        def opened(experiment_id: str | None) -> None:
            if experiment_id:
                self.app.open_experiment(experiment_id)

        self.app.push_screen(LogEntryModal(entry), opened)
