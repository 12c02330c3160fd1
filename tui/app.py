"""The maas-manager TUI: live campaigns and ToDo, keyboard approvals, rule files, the change log.

Build it with ``make_app`` (tests build isolated apps on their own workspaces); run it
with ``run_tui`` (what ``maas-manager`` with no subcommand does). The TUI shows and
sends commands; every decision stays in the engine.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import App, ScreenStackError
from textual.binding import Binding
from textual.reactive import reactive
from textual.worker import Worker, WorkerState

from tui import heap
from tui.commands import ManagerCommands
from tui.data.history import utc_now
from tui.data.news import NewsState, first_news, next_news
from tui.engine_link import EngineLink
from tui.loop_beat import LoopBeat
from tui.messages import EngineActivity, EngineModeChanged, StoreChanged
from tui.modals.confirm import ConfirmModal
from tui.screens.approvals import ApprovalsScreen
from tui.screens.campaigns import CampaignsScreen
from tui.screens.experiment import ExperimentScreen
from tui.screens.experiments import ExperimentsScreen
from tui.screens.goal import GoalScreen
from tui.screens.help import HelpScreen
from tui.screens.history import HistoryScreen
from tui.screens.meta_prompt import MetaPromptScreen
from tui.screens.rules import RulesScreen
from tui.session import Outcome, ReadOnlyRefused, Session
from tui.text import literal, one_line, safe

ENGINE_STOP_WAIT_S = 60.0

ENGINE_LINES = {
    "off": "engine not running",
    "starting": "engine starting…",
    "running": "engine running here",
    "observer": "observer: another process runs the engine",
    "stopped": "engine stopped",
    "failed": "engine failed",
}


def _go(mode: str, key: str, label: str) -> Binding:
    return Binding(key, f"switch_mode('{mode}')", label, show=False, id=f"go.{mode}",
                   tooltip=f"Show the {label} screen")


class MaaSManagerApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "maas-manager"
    MODES = {
        "campaigns": CampaignsScreen,
        "approvals": ApprovalsScreen,
        "experiments": ExperimentsScreen,
        "history": HistoryScreen,
        "rules": RulesScreen,
        "prompt": MetaPromptScreen,
    }
    DEFAULT_MODE = "campaigns"
    COMMANDS = App.COMMANDS | {ManagerCommands}
    BINDINGS = [
        _go("campaigns", "1", "Campaigns"),
        _go("approvals", "2", "Approvals"),
        _go("experiments", "3", "Experiments"),
        _go("history", "4", "History"),
        _go("rules", "5", "Rules"),
        _go("prompt", "6", "Meta-prompt"),
        Binding("g", "new_goal", "Goal", id="app.goal", tooltip="Type a goal, see its translation, start a campaign"),
        Binding("question_mark,f1", "help", "Help", id="app.help", tooltip="Every key of every screen"),
        Binding("q", "quit", "Quit", id="app.quit",
                tooltip="Leave; an engine running here stops at its next step first"),
    ]

    awaiting_count: reactive[int] = reactive(0)

    def __init__(self, session: Session, *, start_engine: bool = True, poll_interval: float = 0.5,
                 cursor_blink: bool = True, now: Callable[[], datetime] = utc_now,
                 screen: str = "campaigns") -> None:
        if screen not in self.MODES:
            raise ValueError(f"unknown screen {screen!r}; one of {', '.join(self.MODES)}")
        self.DEFAULT_MODE = screen  # the screen it opens on (a reviewer may start on approvals)
        super().__init__()
        self.session = session
        self.start_engine = start_engine and not session.read_only
        self.poll_interval = poll_interval
        self.cursor_blink = cursor_blink
        self.now = now
        self.generation = -1
        self.engine = EngineLink(session.workspace, self.post_message)
        self.beat = LoopBeat()
        session.pause_point = self.beat.give_way  # store reads wait while the event loop is busy
        self._polling = False
        self._news: NewsState | None = None
        self._news_busy = False
        self._leaving = False
        self.css_refreshed_at: int | None = None

    # -- start and the header ---------------------------------------------------------

    def on_load(self) -> None:
        heap.settle()  # the modules imported so far live as long as the app
        heap.hold_full_collections()  # poll_store runs them, between steps
        self.beat.attach(asyncio.get_running_loop())

    def on_unmount(self) -> None:
        self.beat.detach()
        heap.release()

    def refresh_css(self, animate: bool = True) -> None:
        super().refresh_css(animate)
        self.css_refreshed_at = self._css_update_count  # pages styled from now on are up to date

    def on_mount(self) -> None:
        self._update_sub_title()
        self.set_interval(self.poll_interval, self.poll_store)
        self.poll_store()
        if self.start_engine:
            session = self.session  # the store opens in the worker, off the event loop
            self.run_worker(lambda: self.engine.start(session.store), thread=True, group="engine-start",
                            exit_on_error=False)

    def _update_sub_title(self) -> None:
        parts = [safe(self.session.workspace.name), ENGINE_LINES.get(self.engine.mode, self.engine.mode)]
        if self.session.read_only:
            parts.append("read-only")
        self.sub_title = " · ".join(parts)

    def on_engine_mode_changed(self, message: EngineModeChanged) -> None:
        self._update_sub_title()  # the link already holds the mode (it may be ahead of this message)
        if message.mode == "observer" and self.start_engine:
            self.notify("Another process runs the engine for this workspace: this TUI observes it and sends it "
                        "your commands.", title="Observer", markup=False)
        elif message.mode == "failed":
            self.notify(safe(message.detail), title="The engine could not run here", severity="error",
                        markup=False, timeout=15)

    # -- following the store ----------------------------------------------------------

    def poll_store(self) -> None:
        heap.collect_if_due()  # a step of its own, not in the middle of drawing a page
        if self._polling:
            return
        self._polling = True
        watch_lock = not self.engine.running_here and self.engine.mode in ("off", "observer", "stopped")
        session = self.session

        def read() -> tuple[int, bool | None]:
            store = session.store
            return store.generation(), (store.engine_running() if watch_lock else None)

        self.run_worker(read, thread=True, group="poll", exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        group, state = event.worker.group, event.state
        if state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if group == "poll":
            self._polling = False
        elif group == "news":
            self._news_busy = False
        if state == WorkerState.ERROR:
            error = event.worker.error
            if group == "poll":
                self.sub_title = f"{safe(self.session.workspace.name)} · store unreadable: {one_line(error, 80)}"
            else:
                self.notify(safe(f"{type(error).__name__}: {error}"), title=f"{group} failed", severity="error",
                            markup=False, timeout=15)
            return
        if state != WorkerState.SUCCESS:
            return
        if group == "poll":
            self._polled(*event.worker.result)
        elif group == "news":
            news, notes = event.worker.result
            self._news = news
            self.awaiting_count = len(news.awaiting)
            for note in notes:
                self.notify(safe(note.text), title=note.title, severity=note.severity, markup=False,
                            timeout=10 if note.severity != "information" else 5)

    def _polled(self, generation: int, engine_elsewhere: bool | None) -> None:
        # only without an engine of our own: the lock it holds is not "another process"
        if engine_elsewhere is not None and self.engine.engine is None and self.engine.mode in ("off", "observer"):
            self.engine.mode = "observer" if engine_elsewhere else "off"
        self._update_sub_title()  # also clears a "store unreadable" note once reads work again
        if generation != self.generation:
            self.generation = generation
            try:
                screen = self.screen
            except ScreenStackError:  # closing: no screen left to tell
                return
            screen.post_message(StoreChanged(generation))
            self._read_news()

    def _read_news(self) -> None:
        if self._news_busy:
            return
        self._news_busy = True
        session, state = self.session, self._news  # session.store may wait: read it in the worker

        def read() -> tuple[NewsState, list]:
            store = session.store
            return first_news(store) if state is None else next_news(store, state)

        self.run_worker(read, thread=True, group="news", exit_on_error=False)

    def on_engine_activity(self, message: EngineActivity) -> None:
        # the engine committed something: look now rather than at the next tick
        self.poll_store()

    # -- navigation -------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "new_goal":
            return not self.session.read_only
        return True

    def action_new_goal(self) -> None:
        if self.session.read_only or isinstance(self.screen, GoalScreen):
            return
        self.push_screen(GoalScreen())

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def open_experiment(self, experiment_id: str) -> None:
        screen = self.screen
        if isinstance(screen, ExperimentScreen) and screen.experiment_id == experiment_id:
            return
        self.push_screen(ExperimentScreen(experiment_id))

    async def _base_screen(self, mode: str, kind: type) -> Any:
        await self.switch_mode(mode)
        while not isinstance(self.screen, kind) and len(self.screen_stack) > 1:
            await self.pop_screen()
        return self.screen

    @work(group="navigate", exclusive=True, exit_on_error=False)
    async def show_experiments(self, campaign_id: str | None = None, state: str | None = None) -> None:
        screen = await self._base_screen("experiments", ExperimentsScreen)
        screen.set_filter(campaign_id=campaign_id, state=state)

    @work(group="navigate", exclusive=True, exit_on_error=False)
    async def show_history(self, **where: Any) -> None:
        screen = await self._base_screen("history", HistoryScreen)
        screen.set_filter(**where)

    @work(group="navigate", exclusive=True, exit_on_error=False)
    async def show_meta_prompt(self, campaign_id: str | None = None) -> None:
        screen = await self._base_screen("prompt", MetaPromptScreen)
        screen.set_campaign(campaign_id)

    # -- commands to the engine ---------------------------------------------------------

    def report(self, outcome: Outcome) -> None:
        if outcome.state == "done":
            self.notify(safe(outcome.text), title=f"{outcome.verb}: done", markup=False)
        elif outcome.state == "pending":
            self.notify(safe(outcome.text), title=f"{outcome.verb}: no answer yet", severity="warning",
                        markup=False, timeout=10)
        else:
            self.notify(safe(outcome.text), title=f"{outcome.verb}: refused" if outcome.state == "refused"
                        else f"{outcome.verb}: failed", severity="error", markup=False, timeout=15)
        self.poll_store()

    async def _send(self, verb: str, args: dict[str, Any]) -> Outcome | None:
        try:
            outcome = await asyncio.to_thread(self.session.send, verb, args)
        except ReadOnlyRefused as exc:
            self.notify(str(exc), title="Read-only", severity="error", markup=False)
            return None
        self.report(outcome)
        return outcome

    @work(group="command", exit_on_error=False)
    async def send_command(self, verb: str, args: dict[str, Any]) -> None:
        await self._send(verb, args)

    @work(group="review", exclusive=True, exit_on_error=False)
    async def review(self, experiment_id: str) -> None:
        """The approval prompt for one experiment; the answer goes to the engine."""
        from store import NotFound
        from tui.data.experiments import load_experiment
        from tui.modals.approval import ApprovalModal

        if self.session.read_only:
            self.notify("This session is read-only: it cannot approve or reject.", severity="error")
            return
        try:
            view = await asyncio.to_thread(lambda: load_experiment(self.session.store, experiment_id))
        except NotFound as exc:
            self.notify(safe(exc), severity="error", markup=False)
            return
        if view.experiment.state != "awaiting_approval":
            self.notify(f"{experiment_id} is {view.experiment.state}: there is nothing to approve.",
                        severity="warning", markup=False)
            return
        book = await asyncio.to_thread(self.session.rulebook)
        answer = await self.push_screen_wait(
            ApprovalModal(view, self.session.approver, book.directions if book is not None else {}))
        if answer is not None:
            await self._send(answer.verb, answer.args)

    @work(group="confirm", exclusive=True, exit_on_error=False)
    async def confirm_rollback(self, experiment_id: str, title: str) -> None:
        answer = await self.push_screen_wait(ConfirmModal(
            f"Roll back {experiment_id}?",
            Text.assemble("The Tuner returns to the version before ", literal(title, style="bold"),
                          ". The change log records you and your reason."),
            confirm_label="Roll back", ask_reason=True, danger=True))
        if answer is not None:
            await self._send("rollback", {"experiment_id": experiment_id, "reason": answer.reason})

    @work(group="confirm", exclusive=True, exit_on_error=False)
    async def confirm_abandon(self, campaign_id: str, name: str) -> None:
        answer = await self.push_screen_wait(ConfirmModal(
            f"Abandon campaign {campaign_id}?",
            Text.assemble("No more cycles run for ", literal(name, style="bold"),
                          ". Changes already applied stay. This cannot be undone."),
            confirm_label="Abandon", ask_reason=True, danger=True))
        if answer is not None:
            await self._send("abandon", {"campaign_id": campaign_id, "reason": answer.reason})

    # -- leaving ----------------------------------------------------------------------------

    async def action_quit(self) -> None:
        if self._leaving or not self.engine.running_here:
            self.exit()
            return
        self._leaving = True
        self.notify("Stopping the engine at its next step… press q again to leave at once.", title="Quitting")
        self.run_worker(self._stop_then_exit(), group="quit")

    async def _stop_then_exit(self) -> None:
        await asyncio.to_thread(self.engine.stop, ENGINE_STOP_WAIT_S)
        self.exit()


def make_app(
    workspace: Path,
    *,
    read_only: bool = False,
    start_engine: bool = True,
    poll_interval: float = 0.5,
    approver: str | None = None,
    cursor_blink: bool = True,
    now: Callable[[], datetime] = utc_now,
    command_wait_s: float = 60.0,
    screen: str = "campaigns",
) -> MaaSManagerApp:
    """An app on ``workspace``; tests pass ``start_engine=False``, a fixed ``approver`` and ``now``.

    ``screen`` is the one it opens on: campaigns, approvals, experiments, history, rules or prompt.
    """
    session = Session(Path(workspace), read_only=read_only, approver=approver, command_wait_s=command_wait_s)
    return MaaSManagerApp(session, start_engine=start_engine, poll_interval=poll_interval,
                          cursor_blink=cursor_blink, now=now, screen=screen)


def run_tui(workspace: Path, *, read_only: bool = False) -> None:
    """What ``maas-manager`` does with no subcommand: the TUI, creating the demo workspace if missing."""
    from manager.workspace import is_workspace

    if read_only:
        if not is_workspace(workspace):
            raise SystemExit(f"{workspace} is not a maas-manager workspace; a read-only session cannot create one")
    else:
        from manager.demo import ensure_workspace

        if not is_workspace(workspace):
            print(f"Creating the demo workspace {workspace} (embedded MaaS, default rules, one campaign)…",
                  file=sys.stderr, flush=True)
        ensure_workspace(workspace)
    app = make_app(workspace, read_only=read_only)
    app.run()
    if app.engine.running_here:
        print("Stopping the engine at its next step…", file=sys.stderr, flush=True)
        app.engine.stop(ENGINE_STOP_WAIT_S)
