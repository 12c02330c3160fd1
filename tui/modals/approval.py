"""The reviewer's prompt: the evidence, the rule that asked for a human, approve or reject with a reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static

from tui.data.experiments import ExperimentView
from tui.text import literal
from tui.widgets import evidence
from tui.widgets.inputs import TextInput


@dataclass(frozen=True)
class ApprovalAnswer:
    decision: Literal["approve", "reject"]
    experiment_id: str
    proposal_hash: str
    reason: str = ""

    @property
    def verb(self) -> str:
        return self.decision

    @property
    def args(self) -> dict[str, str]:
        if self.decision == "approve":
            return {"experiment_id": self.experiment_id, "proposal_hash": self.proposal_hash}
        return {"experiment_id": self.experiment_id, "reason": self.reason}


def section(title: str, body) -> Group:
    return Group(Text(title, style="bold underline"), body, Text(""))


class ApprovalModal(ModalScreen[ApprovalAnswer | None]):
    BINDINGS = [
        Binding("a", "approve", "Approve", id="approval.approve",
                tooltip="Apply this change through the Tuner; you are recorded as approver"),
        Binding("r", "reject", "Reject…", id="approval.reject",
                tooltip="Reject this change; type the reason, then Enter"),
        Binding("escape", "cancel", "Cancel", id="approval.cancel", tooltip="Close; nothing is sent"),
    ]

    def __init__(self, view: ExperimentView, approver: str, directions: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.view = view
        self.approver = approver
        self.directions = dict(directions or {})

    def compose(self) -> ComposeResult:
        exp = self.view.experiment
        head = evidence.grid()
        head.add_row("change", literal(exp.title))
        head.add_row("campaign", literal(f"{exp.campaign_id} {self.view.campaign_name}".strip()))
        if self.view.cycle_number is not None:
            head.add_row("cycle", Text(str(self.view.cycle_number)))
        if self.view.waiting_since:
            head.add_row("waiting since", Text(evidence.at_text(self.view.waiting_since) + " UTC"))
        why = Group(evidence.fired(self.view.why_human, empty="The policy gate asked for a reviewer."),
                    evidence.policy(exp))
        with Vertical(id="dialog", classes="dialog -tall"):
            yield Label(literal(f"Approve or reject {exp.id}"), classes="dialog-title")
            with VerticalScroll(classes="dialog-body", id="evidence"):
                yield Static(Group(
                    head, Text(""),
                    section("Why a human must answer", why),
                    section("Hypothesis", evidence.hypothesis(exp, with_change=False)),
                    section("A/B verdict (same dialogues)", evidence.verdict(exp)),
                    section("Golden set", evidence.golden(exp, self.directions)),
                ))
            yield Static(Text.assemble("You answer as ", (self.approver, "bold"), "  ·  proposal ",
                                       (exp.proposal_hash or "—", "bold")), classes="identity")
            yield TextInput(placeholder="reason (required to reject), then Enter", id="reason", compact=True)
            yield Static("", id="problem", classes="problem")
            with Horizontal(classes="buttons"):
                yield Button("Approve", id="approve", variant="success", compact=True)
                yield Button("Reject", id="reject", variant="error", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#evidence").focus()

    def _answer(self, decision: Literal["approve", "reject"], reason: str = "") -> None:
        exp = self.view.experiment
        self.dismiss(ApprovalAnswer(decision, exp.id, exp.proposal_hash or "", reason))

    def action_approve(self) -> None:
        self._answer("approve")

    def action_reject(self) -> None:
        reason_input = self.query_one("#reason", Input)
        reason = reason_input.value.strip()
        if not reason:
            self._problem(
                Text("Type why you reject this change, then press Enter.", style="bold red"))
            reason_input.focus()
            return
        self._answer("reject", reason)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _problem(self, text: Text) -> None:
        problem = self.query_one("#problem", Static)
        problem.update(text)
        problem.add_class("-shown")

    @on(Input.Submitted, "#reason")
    def _submitted(self) -> None:
        self.action_reject()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        {"approve": self.action_approve, "reject": self.action_reject, "cancel": self.action_cancel}[
            str(event.button.id)]()
