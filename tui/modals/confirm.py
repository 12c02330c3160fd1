"""Confirmation before an action that changes the workspace (manual rollback, abandon, new goal)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static

from tui.text import literal
from tui.widgets.inputs import TextInput


@dataclass(frozen=True)
class Confirmation:
    reason: str = ""


class ConfirmModal(ModalScreen[Confirmation | None]):
    """Asks once; with ``ask_reason`` the answer carries a typed reason (required)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel", tooltip="Close without doing anything"),
        Binding("y", "confirm", "Yes", id="confirm.yes", tooltip="Confirm"),
        Binding("n", "cancel", "No", id="confirm.no", tooltip="Close without doing anything", show=False),
    ]

    def __init__(self, title: str, body: RenderableType | str, *, confirm_label: str = "Confirm",
                 ask_reason: bool = False, reason_label: str = "Reason (goes into the change log)",
                 danger: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.body = literal(body) if isinstance(body, str) else body
        self.confirm_label = confirm_label
        self.ask_reason = ask_reason
        self.reason_label = reason_label
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog -danger" if self.danger else "dialog"):
            yield Label(literal(self.title_text), classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(self.body)
            if self.ask_reason:
                yield Label(self.reason_label)
                yield TextInput(placeholder="type a reason, then Enter", id="reason", compact=True)
                yield Static("", id="problem", classes="problem")
            with Horizontal(classes="buttons"):
                yield Button(self.confirm_label, id="confirm", variant="error" if self.danger else "primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        if self.ask_reason:
            self.query_one("#reason", Input).focus()
        else:
            self.query_one("#cancel" if self.danger else "#confirm", Button).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _problem(self, text: Text) -> None:
        problem = self.query_one("#problem", Static)
        problem.update(text)
        problem.add_class("-shown")

    def action_confirm(self) -> None:
        reason = ""
        if self.ask_reason:
            reason = self.query_one("#reason", Input).value.strip()
            if not reason:
                self._problem(Text("A reason is required.", style="bold red"))
                self.query_one("#reason", Input).focus()
                return
        self.dismiss(Confirmation(reason))

    @on(Input.Submitted, "#reason")
    def _submitted(self) -> None:
        self.action_confirm()

    @on(Button.Pressed, "#confirm")
    def _confirm_pressed(self) -> None:
        self.action_confirm()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)
