"""Keys pressed through Pilot, results checked in the store: the TUI sends, the engine decides."""

from __future__ import annotations

import threading

import pytest
from textual.widgets import Input
from tui_pilot import press, run_async, screen_text, settle, type_text, wait_for

from manager.identity import os_account
from manager.workspace import rules_dir, store_dir
from store import Store
from store.models import Approval, Campaign, Command, Experiment, Task
from tui.modals.approval import ApprovalModal
from tui.modals.confirm import ConfirmModal
from tui.screens.experiment import ExperimentScreen
from tui.session import ReadOnlyRefused

GOAL = "recall по preferences +10%"


def notifications(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


@run_async
async def test_approve_from_the_keyboard(awaiting, make) -> None:
    workspace, experiment_id = awaiting
    app = make(workspace=workspace, screen="approvals")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        assert isinstance(app.screen, ApprovalModal)
        assert app.screen.view.experiment.id == experiment_id
        await press(pilot, "a")
        store = Store.open(store_dir(workspace))
        await wait_for(pilot, lambda: store.get(Experiment, experiment_id).state != "awaiting_approval",
                       what="the engine to carry out the approval")
        assert store.get(Experiment, experiment_id).state == "applied"
        approvals = store.find(Approval, experiment_id=experiment_id)
        assert [(a.decision, a.approver) for a in approvals] == [("approve", os_account())]
        assert any(e.kind == "change" and e.initiator == "manual" and e.actor == os_account()
                   for e in store.log(experiment_id=experiment_id))
        await wait_for(pilot, lambda: any(t.startswith("approve: done") for t in notifications(app)),
                       what="the result notification")


@run_async
async def test_reject_with_a_reason_then_pause_and_abandon(awaiting, make) -> None:
    workspace, experiment_id = awaiting
    store = Store.open(store_dir(workspace))
    app = make(workspace=workspace, screen="approvals")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "enter", "r")
        # no reason yet: nothing is sent, the prompt asks for one
        assert isinstance(app.screen, ApprovalModal)
        assert "Type why you reject" in screen_text(app)
        assert store.count(Command) == 0
        reason = "[bold]too[/bold] costly"
        await type_text(pilot, reason)
        await press(pilot, "enter")
        await wait_for(pilot, lambda: store.get(Experiment, experiment_id).state == "rejected",
                       what="the engine to carry out the rejection")
        approvals = store.find(Approval, experiment_id=experiment_id)
        assert [(a.decision, a.approver, a.reason) for a in approvals] == [("reject", os_account(), reason)]
        assert any(reason in e.reason for e in store.log(experiment_id=experiment_id, kind="experiment"))

        # then pause the campaign, and abandon it: that asks first, with a reason
        campaign_id = store.get(Experiment, experiment_id).campaign_id
        await press(pilot, "1", "p")
        await wait_for(pilot, lambda: store.get(Campaign, campaign_id).state == "paused", what="the pause")
        await press(pilot, "x")
        assert isinstance(app.screen, ConfirmModal)
        await press(pilot, "enter")  # no reason: asked again, nothing sent
        assert isinstance(app.screen, ConfirmModal) and "A reason is required" in screen_text(app)
        await type_text(pilot, "goal met elsewhere")
        await press(pilot, "enter")
        await wait_for(pilot, lambda: store.get(Campaign, campaign_id).state == "abandoned", what="the abandon")
        assert store.log(campaign_id=campaign_id, kind="campaign", reverse=True, limit=1)[0].reason == \
            "goal met elsewhere"


@run_async
async def test_new_goal_confirmed_starts_a_campaign(awaiting, make) -> None:
    workspace, _ = awaiting
    store = Store.open(store_dir(workspace))
    before = {c.id for c in store.all(Campaign)}
    app = make(workspace=workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "g")
        goal_input = app.screen.query_one("#goal", Input)
        goal_input.value = "make it nicer somehow"  # as if pasted: nothing to measure, refused before sending
        await wait_for(pilot, lambda: "Not accepted as it is" in screen_text(app), what="the goal refused")
        await press(pilot, "enter")
        assert "Not accepted as it is" in screen_text(app) and store.count(Command) == 0
        goal_input.value = ""
        await type_text(pilot, GOAL)
        await wait_for(pilot, lambda: "retrieval_recall [preferences]" in screen_text(app),
                       what="the translation of the goal")
        await press(pilot, "enter")  # shows the translation again and asks
        assert store.count(Command) == 0
        await press(pilot, "y")
        await wait_for(pilot, lambda: {c.id for c in store.all(Campaign)} - before, what="a new campaign")
        (new_id,) = {c.id for c in store.all(Campaign)} - before
        campaign = store.get(Campaign, new_id)
        assert (campaign.goal_text, campaign.state) == (GOAL, "active")
        assert campaign.targets[0].segment == "preferences"
        await wait_for(pilot, lambda: app.current_mode == "campaigns" and new_id in screen_text(app),
                       what="the campaign on the main screen")


@run_async
async def test_rules_reload_refuses_a_bad_file_and_shows_why(awaiting, make) -> None:
    workspace, _ = awaiting
    store = Store.open(store_dir(workspace))
    methodology = rules_dir(workspace) / "methodology.yaml"
    good = methodology.read_text(encoding="utf-8")
    app = make(workspace=workspace, start_engine=True, screen="rules")
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.engine.mode == "running",
                           what=f"the engine to start here (mode now {app.engine.mode} {app.engine.detail})")
            assert "engine running here" in app.sub_title, app.engine.detail
            methodology.write_text(good.replace("batch_size: 30", "batch_size: thirty"), encoding="utf-8")
            await wait_for(pilot, lambda: "methodology.yaml:3:" in screen_text(app), what="the error with its line")
            await press(pilot, "r")
            await wait_for(pilot, lambda: store.find(Command, verb="reload_rules", state="refused"),
                           what="the engine to refuse the reload")
            refused = store.find(Command, verb="reload_rules")[-1]
            assert "methodology.yaml:3:" in refused.result
            await wait_for(pilot, lambda: any(t.startswith("reload_rules: refused") and "methodology.yaml:3:" in t
                                              for t in notifications(app)), what="the refusal on screen")
            # the last good rules stay: the engine still judges with batch size 30
            assert app.engine.engine.ctx.rules.rulebook.methodology.batch_size == 30

            methodology.write_text(good, encoding="utf-8")
            await press(pilot, "r")
            await wait_for(pilot, lambda: store.find(Command, verb="reload_rules", state="done"),
                           what="the good files to be reloaded")
            await wait_for(pilot, lambda: "All files validate" in screen_text(app), what="the files to validate")
    finally:
        assert app.engine.stop(60)


@run_async
async def test_read_only_refuses_every_change(awaiting, make) -> None:
    workspace, experiment_id = awaiting
    store = Store.open(store_dir(workspace))
    generation = store.generation()
    app = make(workspace=workspace, read_only=True, start_engine=True, screen="approvals")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "read-only" in app.sub_title and app.engine.mode == "off"  # it never runs the engine
        bindings = {b.binding.action for b in app.screen.active_bindings.values()}
        assert "review" not in bindings and "new_goal" not in bindings
        await press(pilot, "r")
        assert not isinstance(app.screen, ApprovalModal)
        await press(pilot, "enter")  # opens the experiment to read, not the prompt
        assert isinstance(app.screen, ExperimentScreen)
        await press(pilot, "r", "b", "escape", "1", "p", "x", "g")
        assert app.current_mode == "campaigns" and len(app.screen_stack) == 1
        app.review(experiment_id)  # even when asked directly
        await settle(pilot)
        assert not isinstance(app.screen, ApprovalModal)
        with pytest.raises(ReadOnlyRefused):
            app.session.send("pause", {"campaign_id": "cmp-000001"})
    assert store.count(Command) == 0 and store.generation() == generation
    assert store.get(Experiment, experiment_id).state == "awaiting_approval"


@run_async
async def test_observer_sees_progress_committed_by_another_engine(workspace, make) -> None:
    """Another holder of the engine lock commits task progress; this TUI only watches."""
    other = Store.open(store_dir(workspace))
    release, held = threading.Event(), threading.Event()

    def other_engine() -> None:
        with other.engine_lock():
            held.set()
            release.wait(30)

    holder = threading.Thread(target=other_engine, daemon=True)
    holder.start()
    held.wait(10)
    try:
        app = make(start_engine=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.engine.mode == "observer", what="observer mode")
            assert "observer: another process runs the engine" in app.sub_title and app.engine.engine is None
            task = other.find(Task, state="running")[0]
            for done in (18, 24):
                other.update(task.model_copy(update={"done": done}))
                await wait_for(pilot, lambda: f"{done}/30" in screen_text(app), what=f"progress {done}/30 on screen")
        assert other.count(Command) == 0
    finally:
        release.set()
        holder.join(10)


@pytest.mark.slow
@run_async
async def test_observer_sees_the_engine_of_another_process(tmp_path, make) -> None:
    from manager.engine import Engine, run_in_thread
    from tui_seed import busy_workspace

    workspace = busy_workspace(tmp_path / "ws")
    store = Store.open(store_dir(workspace))
    engine = Engine(workspace)
    thread = run_in_thread(engine)
    try:
        app = make(workspace=workspace, start_engine=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, store.engine_running, what="the other engine to hold the lock")
            await wait_for(pilot, lambda: app.engine.mode == "observer", what="observer mode")
            assert "observer: another process runs the engine" in app.sub_title
            assert app.engine.engine is None  # it did not start one of its own
            screen = app.screen
            await wait_for(pilot, lambda: screen.data is not None, what="the first picture of the store")
            first = screen.data
            # the other engine's commits reach this screen without a key being pressed
            await wait_for(pilot, lambda: screen.data != first and (screen.data.campaigns[0].cycle_number or 0) >= 1,
                           timeout=60, what="the other engine's progress on the main screen")
            await wait_for(pilot, lambda: any(i.progress or i.done for i in screen.data.todo),
                           what="task progress in the ToDo")
            assert str(screen.data.campaigns[0].cycle_number) in screen_text(app)
    finally:
        engine.stop()
        thread.join(60)
    assert not thread.is_alive()
