"""The Manager's meta-prompt (seed 0.1): mission, targets with current values, methodology, constraints, ToDo."""

from __future__ import annotations

import asyncio
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Markdown, Select
from textual.widgets.select import InvalidSelectValueError

from manager.todo import render_meta_prompt
from store.models import Campaign
from tui.data.experiments import Choices, load_choices
from tui.screens.base import Page
from tui.text import line, safe


class MetaPromptScreen(Page):
    MODE = "prompt"

    def __init__(self) -> None:
        super().__init__()
        self.campaign_id: str | None = None
        self._choices_shown: tuple | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="filters"):
            yield Select([], prompt="no campaign: the rule files' targets", id="campaign", compact=True)
        with VerticalScroll(id="prompt-pane", classes="pane"):
            yield Markdown(id="prompt")

    def on_mount(self) -> None:
        self.query_one("#prompt-pane").focus()

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
        self._show_text(text)

    @work(group="prompt-text", exclusive=True)
    async def _show_text(self, text: str) -> None:
        """The meta-prompt a section at a time, one screen refresh apart.

        Its hundred-odd Markdown blocks mounted, styled and laid out at once held the event
        loop for 140-180 ms; a section at a time, the longest step takes 60-110 ms (measured
        with ``bench/bench_tui.py``). A newer text cancels this one between sections.
        """
        markdown = self.query_one("#prompt", Markdown)
        await markdown.update("")
        for i, part in enumerate(sections(text)):
            if i:
                await self._refreshed()
            await markdown.append(part)  # re-reads the last block shown, then adds the new ones

    def _refreshed(self) -> asyncio.Future:
        """Done after this screen's next refresh (at once when it is not shown: nothing to pace)."""
        done = asyncio.get_running_loop().create_future()
        if self.is_current:
            self.call_after_refresh(lambda: done.done() or done.set_result(None))
        else:
            done.set_result(None)
        return done


def sections(text: str) -> list[str]:
    """``text`` cut before each second-level heading (joined again, the same text)."""
    parts: list[str] = []
    for line_ in text.splitlines(keepends=True):
        if not parts or (line_.startswith("## ") and parts[-1].strip()):
            parts.append(line_)
        else:
            parts[-1] += line_
    return parts or [""]

    @on(Select.Changed, "#campaign")
    def _campaign_changed(self, event: Select.Changed) -> None:
        value = None if event.value is Select.NULL else str(event.value)
        if value != self.campaign_id:
            self.campaign_id = value
            self.reload()
