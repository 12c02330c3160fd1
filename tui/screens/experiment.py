"""One experiment in full: hypothesis, A/B deltas with intervals, verdict, golden set, rules, lifecycle."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Label, Static

from tui import format as fmt
from tui.data.experiments import ExperimentView, load_experiment
from tui.screens.base import Page
from tui.text import literal
from tui.widgets import evidence


class ExperimentScreen(Page):
    BINDINGS = [
        Binding("escape", "back", "Back", id="experiment.back", tooltip="Back to where you came from"),
        Binding("r", "review", "Review…", id="experiment.review",
                tooltip="Approve or reject this change (it awaits a reviewer)"),
        Binding("b", "rollback", "Roll back…", id="experiment.rollback",
                tooltip="Return to the version before this change (asks for confirmation and a reason)"),
        Binding("h", "history", "History", id="experiment.history",
                tooltip="The change-log entries of this experiment"),
    ]

    def __init__(self, experiment_id: str) -> None:
        super().__init__()
        self.experiment_id = experiment_id
        self.view: ExperimentView | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="experiment-body", classes="pane"):
            yield Label(literal(f"Experiment {self.experiment_id}"), id="experiment-title", classes="pane-title")
            yield Static(id="experiment-head")
            for name, title in (("hypothesis", "Hypothesis"), ("verdict", "A/B verdict (baseline vs variant, same dialogues)"),
                                ("golden", "Golden validation"), ("rules", "Rules that fired, and why"),
                                ("lifecycle", "Lifecycle")):
                yield Label(title, classes="section-title")
                yield Static(id=f"section-{name}", classes="section")

    def on_mount(self) -> None:
        self.query_one("#experiment-body").focus()

    def fetch(self, session: Any) -> tuple[ExperimentView, dict[str, str]]:
        book = session.rulebook()
        return load_experiment(session.store, self.experiment_id), (dict(book.directions) if book is not None else {})

    def show(self, data: tuple[ExperimentView, dict[str, str]]) -> None:
        view, directions = data
        self.view = view
        exp = view.experiment
        self.query_one("#experiment-title", Label).update(Text.assemble(
            "Experiment ", exp.id, "  ", (exp.state, fmt.state_style(exp.state))))
        head = evidence.grid()
        head.add_row("campaign", literal(f"{exp.campaign_id} {view.campaign_name}".strip()))
        if view.cycle_number is not None:
            head.add_row("cycle", Text(str(view.cycle_number)))
        head.add_row("versions", literal(f"baseline {exp.baseline_version or '—'} · variant {exp.variant_version or '—'}"
                                         + (f" · applied {exp.applied_version}" if exp.applied_version else "")))
        head.add_row("proposed by", literal(exp.proposed_by))
        for a in view.approvals:
            head.add_row("approval" if a.decision == "approve" else "rejection",
                         literal(f"{a.decision} by {a.approver}" + (f": {a.reason}" if a.reason else "")))
        self.query_one("#experiment-head", Static).update(head)
        self.query_one("#section-hypothesis", Static).update(evidence.hypothesis(exp))
        self.query_one("#section-verdict", Static).update(evidence.verdict(exp))
        self.query_one("#section-golden", Static).update(evidence.golden(exp, directions))
        self.query_one("#section-rules", Static).update(Group(evidence.policy(exp), evidence.fired(view.fired)))
        self.query_one("#section-lifecycle", Static).update(evidence.lifecycle(exp))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        state = self.view.experiment.state if self.view else None
        if action == "review":
            return not self.app.session.read_only and state == "awaiting_approval"
        if action == "rollback":
            return not self.app.session.read_only and state == "applied"
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_review(self) -> None:
        self.app.review(self.experiment_id)

    def action_rollback(self) -> None:
        if self.view is not None:
            self.app.confirm_rollback(self.experiment_id, self.view.experiment.title)

    def action_history(self) -> None:
        self.app.show_history(experiment_id=self.experiment_id)
