"""A new goal: type it in Russian or English, see how it is understood, then confirm or edit."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Input, Label, Static

from store.models import MetricSnapshot
from tui import format as fmt
from tui.modals.confirm import ConfirmModal
from tui.screens.base import Page
from tui.session import ReadOnlyRefused
from tui.text import literal
from tui.widgets.inputs import TextInput

EXAMPLE = "снизить hallucination_rate по персональной памяти < 3%"
DEBOUNCE_S = 0.25


@dataclass(frozen=True)
class TranslateContext:
    defaults: list[Any]
    factors: list[str]
    segments: list[str]
    problem: str = ""


def load_context(session: Any) -> TranslateContext:
    book = session.rulebook()
    if book is None:
        return TranslateContext([], [], [], "The rule files could not be read; goals cannot be translated.")
    snaps = session.store.page(MetricSnapshot, 0, 1, reverse=True)
    return TranslateContext(list(book.targets), sorted(book.autonomy.parameters),
                            sorted(snaps[0].segments) if snaps else [])


def translate(text: str, ctx: TranslateContext) -> Any:
    from manager.goals import translate as goal_translate

    return goal_translate(text, defaults=ctx.defaults, factors=ctx.factors, segments=ctx.segments)


def _target_line(t: Any) -> Text:
    label = fmt.metric_label(t.metric, getattr(t, "segment", None))
    relative = getattr(t, "relative_to_baseline", None)
    if relative is not None:
        goal = f"{fmt.delta(t.metric, relative)} over where it starts"
    else:
        goal = fmt.target(t.metric, t.target, t.direction)
    return Text.assemble((label, "bold"), " ", goal, (f"  ({t.priority}, threshold {fmt.value(t.metric, t.threshold)})", "dim"))


def translation_view(tr: Any, hint: bool = True) -> RenderableType:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(ratio=1)
    targets = list(getattr(tr, "targets", []) or [])
    if getattr(tr, "name", ""):
        grid.add_row("campaign", literal(tr.name))
    grid.add_row("metrics", Group(*[_target_line(t) for t in targets]) if targets
                 else Text("the rule files' targets", style="dim"))
    allowed = list(getattr(tr, "allowed_factors", []) or [])
    frozen = list(getattr(tr, "frozen_factors", []) or [])
    segments = sorted({t.segment for t in targets if getattr(t, "segment", None)})
    scope = []
    if segments:
        scope.append("segments " + ", ".join(segments))
    if allowed:
        scope.append("may tune " + ", ".join(allowed))
    if frozen:
        scope.append("must not touch " + ", ".join(frozen))
    grid.add_row("scope", literal("; ".join(scope)) if scope else Text("whole service, every factor", style="dim"))
    constraints = dict(getattr(tr, "constraints", {}) or {})
    grid.add_row("constraints", literal(", ".join(f"{k} = {v:g}" for k, v in constraints.items()))
                 if constraints else Text("none", style="dim"))
    priorities = list(getattr(tr, "priorities", []) or [])
    if priorities:
        grid.add_row("priorities", literal(" > ".join(priorities)))
    grid.add_row("autonomy", literal(getattr(tr, "autonomy", None) or "auto (rule files decide per parameter)"))
    parts: list[RenderableType] = [grid]
    for title, items, style in (("Not understood", getattr(tr, "not_understood", []), "yellow"),
                                ("Conflicts", getattr(tr, "conflicts", []), "bold red"),
                                ("Notes", getattr(tr, "notes", []), "dim")):
        if items:
            parts.append(Text(""))
            parts.append(Text(title, style=style))
            parts += [literal(f"  {item}") for item in items]
    if hint:
        verdict = Text("Understood: Enter starts a campaign (asks first).", style="green") if tr.ok else \
            Text("Not accepted as it is: edit the goal.", style="bold red")
        parts += [Text(""), verdict]
    return Group(*parts)


class GoalScreen(Page):
    BINDINGS = [
        Binding("escape", "back", "Back", id="goal.back", tooltip="Leave without starting a campaign"),
        Binding("enter", "confirm", "Start…", id="goal.confirm",
                tooltip="Start a campaign for this goal (shows the translation and asks first)", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.context: TranslateContext | None = None
        self.translation: Any = None
        self.translated_text: str | None = None
        self._debounce: Timer | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(classes="pane", id="goal-pane"):
            yield Label("New goal", classes="pane-title")
            yield Static(Text.assemble("Type a goal in Russian or English, then Enter. For example: ",
                                       (EXAMPLE, "italic")), id="goal-hint")
            yield TextInput(placeholder="the goal, in your words", id="goal")
            yield Label("How the Manager understands it", classes="section-title")
            with VerticalScroll(id="translation-pane"):
                yield Static(Text("Type a goal to see its translation.", style="dim"), id="translation")

    def on_mount(self) -> None:
        self.query_one("#goal", Input).focus()

    def fetch(self, session: Any) -> TranslateContext:
        return load_context(session)

    def show(self, context: TranslateContext) -> None:
        self.context = context
        if context.problem:
            self._show(Text(context.problem, style="bold red"))

    def _show(self, renderable: RenderableType) -> None:
        self.query_one("#translation", Static).update(renderable)

    @on(Input.Changed, "#goal")
    def _changed(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_S, lambda: self._translate(event.value))

    @work(thread=True, exclusive=True, group="translate")
    def _translate(self, text: str) -> None:
        text = text.strip()
        ctx = self.context
        if not text or ctx is None or ctx.problem:
            return
        try:
            result = translate(text, ctx)
        except Exception as exc:
            self.app.call_from_thread(self._show, literal(f"Could not translate: {type(exc).__name__}: {exc}",
                                                          style="bold red"))
            return
        self.app.call_from_thread(self._translated, text, result)

    def _translated(self, text: str, result: Any) -> None:
        if text != self.query_one("#goal", Input).value.strip():
            return  # typed on meanwhile: a newer translation is coming
        self.translation, self.translated_text = result, text
        self._show(translation_view(result))

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(Input.Submitted, "#goal")
    def _submitted(self) -> None:
        self.action_confirm()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "confirm":
            return not self.app.session.read_only
        return True

    @work(exclusive=True, group="goal-confirm")
    async def action_confirm(self) -> None:
        text = self.query_one("#goal", Input).value.strip()
        if not text:
            self._show(Text("Type a goal first.", style="bold red"))
            return
        ctx = self.context
        if ctx is None or ctx.problem:
            return
        if self.translated_text == text:
            result = self.translation
        else:
            try:
                result = await asyncio.to_thread(translate, text, ctx)
            except Exception as exc:
                self._show(literal(f"Could not translate: {type(exc).__name__}: {exc}", style="bold red"))
                return
            self.translation, self.translated_text = result, text
            self._show(translation_view(result))
        if not result.ok:
            self.query_one("#goal", Input).focus()
            return
        answer = await self.app.push_screen_wait(ConfirmModal(
            "Start a campaign for this goal?",
            Group(literal(text, style="italic"), Text(""), translation_view(result, hint=False)),
            confirm_label="Start"))
        if answer is None:
            self.query_one("#goal", Input).focus()
            return
        try:
            outcome = await asyncio.to_thread(self.session.send, "goal", {"text": text})
        except ReadOnlyRefused as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        if outcome.ok:
            self.app.report(outcome)
            self.app.pop_screen()
            self.app.switch_mode("campaigns")
        else:
            self._show(Group(translation_view(result), Text(""),
                             literal(f"The engine refused it: {outcome.text}", style="bold red")))
            self.app.report(outcome)
