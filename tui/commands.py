"""The command palette: screens, actions, and experiments and campaigns by id or name."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from store.models import Campaign, Experiment
from tui.text import one_line
from tui.widgets.navbar import PAGES

RECENT_EXPERIMENTS = 300


class ManagerCommands(Provider):
    async def startup(self) -> None:
        app = self.app
        self._records: list[tuple[str, str, Callable[[], object]]] = []
        try:
            experiments, awaiting, campaigns = await asyncio.to_thread(self._read, app.session)
        except Exception:  # the palette still offers screens and actions
            return
        seen = set()
        for exp in awaiting + experiments:
            if exp.id in seen:
                continue
            seen.add(exp.id)
            self._records.append((f"Open experiment {exp.id} {one_line(exp.title, 60)} [{exp.state}]",
                                  "The experiment in full", partial(app.open_experiment, exp.id)))
        for c in campaigns:
            self._records.append((f"Experiments of campaign {c.id} {one_line(c.name, 60)}",
                                  f"{c.state}", partial(app.show_experiments, campaign_id=c.id)))
            self._records.append((f"History of campaign {c.id} {one_line(c.name, 60)}",
                                  "Its change-log entries", partial(app.show_history, campaign_id=c.id)))

    @staticmethod
    def _read(session):
        store = session.store  # opening it may wait on the session: in this thread, not on the event loop
        return (store.page(Experiment, 0, RECENT_EXPERIMENTS, reverse=True),
                store.find(Experiment, state="awaiting_approval"), store.all(Campaign))

    def _actions(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = self.app
        out = [(f"Go to {label}", f"Screen {key}", partial(app.switch_mode, mode)) for mode, key, label in PAGES]
        if not app.session.read_only:
            out.append(("New goal", "Type a goal; see its translation; start a campaign", app.action_new_goal))
        out.append(("Help: keys", "Every key of every screen", app.action_help))
        return out

    async def discover(self) -> Hits:
        for name, help_text, callback in self._actions():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._actions() + getattr(self, "_records", []):
            score = matcher.match(name)
            if score > 0:
                # plain Content: names hold user text, which must not be read as markup
                yield Hit(score, Content(name), callback, text=name, help=help_text)
