"""What the screens show on a seeded store: paging, filters, literal user text, news, the palette."""

from __future__ import annotations

from datetime import timedelta

from tui_pilot import press, run_async, screen_text, settle, wait_for
from tui_seed import T0

from manager.workspace import store_dir
from store import Store
from store.models import ChangeLogEntry, Experiment
from tui.modals.log_entry import LogEntryModal
from tui.screens.experiment import ExperimentScreen
from tui.screens.history import HistoryScreen
from tui.widgets.lazy_table import LazyTable


@run_async
async def test_history_pages_in_filters_and_opens_why(workspace, make) -> None:
    store = Store.open(store_dir(workspace))
    with store.transaction():
        for i in range(450):
            store.append_log(ChangeLogEntry(at=T0 + timedelta(hours=3, seconds=i), kind="cycle",
                                            summary=f"filler {i}"))
    total = store.log_count()
    app = make(screen="history")
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#log", LazyTable)
        assert table.row_count == table.chunk < total  # one page, not the whole log
        assert f"({total:,} entries" in screen_text(app)
        while table.row_count < total:
            before = table.row_count
            await press(pilot, "end")
            assert table.row_count > before, "scrolling to the end loads the next page"
        assert table.row_count == total and table.exhausted

        screen: HistoryScreen = app.screen
        screen.set_filter(campaign_id="cmp-000002")
        await settle(pilot)
        text = screen_text(app)
        assert "started: Personal memory [bold]honesty[/bold]" in text  # user text, not markup
        assert table.row_count == 4

        screen.set_filter(kind="rollback", initiator="auto")
        await settle(pilot)
        assert table.row_count == 1
        await press(pilot, "enter")
        assert isinstance(app.screen, LogEntryModal)
        text = screen_text(app)
        assert "metric-worsened" in text and "retrieval_recall fell 12%" in text
        await press(pilot, "o")  # the experiment it is about
        assert isinstance(app.screen, ExperimentScreen) and app.screen.experiment_id == "exp-000004"


@run_async
async def test_goal_text_is_shown_literally(make) -> None:
    app = make()
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "down", "down")  # the campaign whose goal holds markup and an escape sequence
        text = screen_text(app)
        assert "Personal memory [bold]honesty[/bold]" in text
        assert "< 3% [bold]now[/bold] \\x1b[31mred" in text
        assert "\x1b" not in text


@run_async
async def test_news_and_the_command_palette(workspace, make) -> None:
    store = Store.open(store_dir(workspace))
    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        titles = lambda: [n.title for n in app._notifications]  # noqa: E731
        assert titles() == ["Needs a human"]  # the change already waiting when the TUI opened
        assert app.awaiting_count == 1
        exp = store.insert(Experiment(campaign_id="cmp-000003", title="top_k: 6 → 7", factor="top_k",
                                      state="awaiting_approval"))
        store.append_log(ChangeLogEntry(kind="rollback", summary="exp-000001 rolled back to v1: recall fell",
                                        initiator="auto"))
        await wait_for(pilot, lambda: "Rolled back automatically" in titles() and titles().count("Needs a human") == 2,
                       what="notifications of the rollback and the new approval request")
        assert any(exp.id in n.message for n in app._notifications)
        assert app.awaiting_count == 2

        # the command palette finds experiments by id and opens them
        await press(pilot, "ctrl+p")
        await pilot.press(*"exp-000003")
        await wait_for(pilot, lambda: "Open experiment exp-000003" in screen_text(app), what="the palette's hit")
        await press(pilot, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ExperimentScreen), what="the experiment screen")
        assert app.screen.experiment_id == "exp-000003"




@run_async
async def test_meta_prompt_follows_the_chosen_campaign_and_the_width(make) -> None:
    from textual.widgets import Select

    from tui.screens.meta_prompt import MetaPromptScreen
    from tui.widgets.rendered_text import RenderedText

    app = make(screen="prompt")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen: MetaPromptScreen = app.screen
        text = screen_text(app)
        assert "Meta-Prompt: Self-Learning Manager" in text and "Current targets" in text
        assert "retrieval_recall: > 70.0%" in text  # the rule files' targets
        pane = screen.query_one("#prompt", RenderedText)
        assert len(pane.lines) > pane.size.height, "the whole text is drawn, not only what fits"
        assert {strip.cell_length for strip in pane.lines} == {pane.scrollable_content_region.width}

        screen.query_one("#campaign", Select).value = "cmp-000002"  # as a choice in the list does
        await settle(pilot)
        text = screen_text(app)
        assert screen.campaign_id == "cmp-000002"
        assert "[bold]now[/bold]" in text and "\\x1b[31mred" in text  # the user's goal, literally
        assert "hallucination_rate [personal_facts]: < 3.0%" in text  # the campaign's own targets

        await pilot.resize_terminal(90, 40)
        await settle(pilot)
        assert {strip.cell_length for strip in pane.lines} == {pane.scrollable_content_region.width} != {116}
        await press(pilot, "end")
        assert pane.scroll_offset.y == pane.max_scroll_y > 0


def styled_screen(app) -> str:
    """What the screen shows now, with its colours (ANSI codes), as a terminal would get it."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, color_system="truecolor",
                      force_terminal=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=True)


@run_async
async def test_a_page_switched_to_and_back_looks_as_one_opened_fresh(make) -> None:
    """Pages skip Textual's restyle when they come back (nothing styles depend on changed):
    the picture must be the same as a page styled from scratch."""
    pictures = []
    for screen, keys in (("experiments", ()), ("campaigns", ("3", "4", "1", "3"))):
        app = make(screen=screen)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            app.clear_notifications()
            await press(pilot, *keys)
            await settle(pilot)
            pictures.append(styled_screen(app))
    assert "\x1b[" in pictures[0]
    assert pictures[0] == pictures[1]
