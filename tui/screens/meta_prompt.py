"""The Manager's meta-prompt (seed 0.1): mission, targets with current values, methodology, constraints, ToDo."""

from __future__ import annotations

from typing import Any

from rich.markdown import Markdown
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Select
from textual.widgets.select import InvalidSelectValueError

from manager.todo import render_meta_prompt
from store.models import Campaign
from tui.data.experiments import Choices, load_choices
from tui.screens.base import Page
from tui.text import line, safe
from tui.widgets.rendered_text import RenderedText


class MetaPromptScreen(Page):
    MODE = "prompt"

    def __init__(self) -> None:
        super().__init__()
        self.campaign_id: str | None = None
        self._choices_shown: tuple | None = None
        self._text_shown: str | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="filters"):
            yield Select([], prompt="no campaign: the rule files' targets", id="campaign", compact=True)
        yield RenderedText(id="prompt", classes="pane")

    def on_mount(self) -> None:
        self.query_one("#prompt").focus()

    def set_campaign(self, campaign_id: str | None) -> None:
        self.campaign_id = campaign_id
        self._sync_select()
        self.reload()

    def _sync_select(self) -> None:
        select = self.query_one("#campaign", Select)
        with self.prevent(Select.Changed):
            if self.campaign_id is None:
                select.clear()
            else:
                try:
                    select.value = self.campaign_id
                except InvalidSelectValueError:
                    pass

    def fetch(self, session: Any) -> tuple[Choices, str]:
        book = session.rulebook()
        store = session.store
        choices = load_choices(store)
        if book is None:
            return choices, "The rule files could not be read, so there is no meta-prompt to show."
        campaign = store.get(Campaign, self.campaign_id) if self.campaign_id else None
        return choices, safe(render_meta_prompt(store, book, campaign))

    def show(self, data: tuple[Choices, str]) -> None:
        choices, text = data
        if choices.campaigns != self._choices_shown:
            self._choices_shown = choices.campaigns
            with self.prevent(Select.Changed):
                self.query_one("#campaign", Select).set_options(
                    [(line(f"{cid} {name}", limit=50), cid) for cid, name in choices.campaigns])
            self._sync_select()
        if text != self._text_shown:
            self._text_shown = text
            # hyperlinks off: a goal's text is the user's, and a link in it must stay text
            self.query_one("#prompt", RenderedText).update(Markdown(text, hyperlinks=False))

    @on(Select.Changed, "#campaign")
    def _campaign_changed(self, event: Select.Changed) -> None:
        value = None if event.value is Select.NULL else str(event.value)
        if value != self.campaign_id:
            self.campaign_id = value
            self.reload()
