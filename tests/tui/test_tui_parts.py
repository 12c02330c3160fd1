"""The TUI's parts that need no screen: literal text, number formats, read models, news, messages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tui_seed import GAPS, NOW, VERDICT

from manager.workspace import store_dir
from store import Store
from store.models import ChangeLogEntry, Experiment
from tui import format as fmt
from tui.data.dashboard import load_dashboard
from tui.data.history import LogFilter, log_page
from tui.data.news import first_news, next_news
from tui.messages import EngineActivity, StoreChanged
from tui.serve import HOST, command
from tui.text import line, literal, safe


def test_user_text_keeps_markup_and_shows_control_characters() -> None:
    text = "[bold]x[/bold] \x1b[31mred\x07 tab\tend\nnext"
    assert safe(text) == "[bold]x[/bold] \\x1b[31mred\\x07 tab\tend\nnext"
    assert literal(text).plain == safe(text)  # a Text object: never parsed as markup
    assert line(text, limit=12).plain == "[bold]x[/bo…"


def test_numbers_read_as_the_seed_writes_them() -> None:
    assert fmt.value("retrieval_recall", 0.553) == "55.3%"
    assert fmt.value("latency_p95_s", 2.4) == "2.40 s"
    assert fmt.target("hallucination_rate", 0.05, "lower_is_better") == "< 5.0%"
    assert fmt.delta("retrieval_recall", -0.005) == "-0.5 pp"
    assert fmt.interval("retrieval_recall", 0.021, 0.099) == "[+2.1 pp, +9.9 pp]"
    over, short, met = (fmt.gap_text("retrieval_recall", g, e) for g, e in ((0.15, True), (0.06, False), (-0.1, False)))
    assert (over.plain, short.plain, met.plain) == ("+15.0 pp", "+6.0 pp", "met")
    assert "red" in str(over.style) and "red" not in str(short.style)


def test_sparkline_spans_low_to_high() -> None:
    assert fmt.spark([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert fmt.spark([0.5, 0.5, 0.5]) == "▄▄▄"
    assert fmt.spark(list(range(30)), width=5) == "▁▃▅▆█"  # the last five: 25..29
    assert fmt.spark([]) == ""


def test_progress_ticks_collapse_but_other_events_do_not() -> None:
    tick, later_tick, approval = (EngineActivity("progress", "a 1/30"), EngineActivity("progress", "a 2/30"),
                                  EngineActivity("approval_needed", "needs approval"))
    assert tick.can_replace(later_tick)
    assert not tick.can_replace(approval) and not approval.can_replace(tick)
    assert StoreChanged(3).can_replace(StoreChanged(4))


def test_dashboard_shows_the_gaps_the_rules_computed(workspace: Path) -> None:
    store = Store.open(store_dir(workspace))
    board = load_dashboard(store, default_targets=[])
    assert [c.id for c in board.campaigns] == ["cmp-000003", "cmp-000001", "cmp-000002", "cmp-000004"]
    main = board.campaigns[0]
    assert (main.cycle_number, main.cycle_state, main.over_threshold, main.awaiting) == (3, "TUNING", 2, 1)
    assert [(t.metric, t.gap, t.exceeds) for t in main.targets] == [
        (g["metric"], g["gap"], g["exceeds_threshold"]) for g in GAPS]
    recall = next(t for t in main.targets if t.metric == "retrieval_recall")
    assert recall.trend == (0.45, 0.48, 0.46, 0.50, 0.52, 0.55)  # oldest first, variants left out
    latency = board.campaigns[1]  # not evaluated yet: its own targets, no values
    assert [(t.metric, t.current) for t in latency.targets] == [("latency_p95_s", None), ("retrieval_recall", None)]
    assert [(h.kind, h.experiment_id) for h in board.needs_human] == [("approval", "exp-000003")]
    assert any(i.progress == (12, 30) for i in board.todo)


def test_log_filters_page_newest_first(workspace: Path) -> None:
    store = Store.open(store_dir(workspace))
    page = log_page(store, LogFilter(), 0, 3, now=lambda: NOW)
    assert [e.seq for e in page] == [15, 14, 13]
    assert [e.seq for e in log_page(store, LogFilter(), 3, 2, now=lambda: NOW)] == [12, 11]
    rollbacks = log_page(store, LogFilter(kind="rollback", initiator="auto"), 0, 10, now=lambda: NOW)
    assert [e.experiment_id for e in rollbacks] == ["exp-000004"]
    # the seeded entries run 09:00-10:10; "last hour" before 12:00 holds none of them
    assert log_page(store, LogFilter(period="last hour"), 0, 10, now=lambda: NOW) == []
    assert len(log_page(store, LogFilter(period="last 24 h"), 0, 100, now=lambda: NOW)) == 15
    assert log_page(store, LogFilter(period="last hour"), 0, 10, now=lambda: NOW + timedelta(hours=-1.5))


def test_news_tells_of_new_approvals_rollbacks_and_errors(workspace: Path) -> None:
    store = Store.open(store_dir(workspace))
    state, notes = first_news(store)
    assert [n.text for n in notes] == ["1 change awaits your approval (press 2)."]
    state, notes = next_news(store, state)
    assert notes == []  # nothing new
    store.insert(Experiment(campaign_id="cmp-000003", title="top_k: 6 → 7", state="awaiting_approval"))
    store.append_log(ChangeLogEntry(kind="rollback", summary="exp-000001 rolled back", initiator="auto"))
    store.append_log(ChangeLogEntry(kind="rollback", summary="exp-000002 rolled back by bob", initiator="manual"))
    store.append_log(ChangeLogEntry(kind="error", summary="emulator.run_batch: no answer"))
    state, notes = next_news(store, state)
    assert [(n.title, n.severity) for n in notes] == [
        ("Rolled back automatically", "warning"), ("Engine error", "error"), ("Needs a human", "warning")]
    assert len(state.awaiting) == 2


def test_browser_access_listens_on_localhost_only(tmp_path: Path) -> None:
    assert HOST == "localhost"
    cmd = command(tmp_path / "my ws", read_only=True)
    assert cmd.endswith("--read-only") and "'" + str(tmp_path / "my ws") + "'" in cmd


def test_the_verdict_table_names_the_level_its_intervals_were_taken_at() -> None:
    """An interim look's intervals are stricter than the final verdict's: the header says which."""
    from rich.console import Console

    from tui.widgets.evidence import verdict

    def header(**extra: object) -> str:
        exp = Experiment(campaign_id="cmp-000001", title="t", verdict={**VERDICT, **extra})
        console = Console(width=120, record=True)
        console.print(verdict(exp))
        return console.export_text()

    assert "95% CI" in header()
    assert "99.8% CI" in header(confidence=0.998) and "95% CI" not in header(confidence=0.998)
    assert "interval" in header(confidence=None) and "% CI" not in header(confidence=None)  # older verdicts


def test_targets_view_counts_the_lines_rich_draws() -> None:
    """The targets pane's height is counted, not measured by drawing: the count must be what Rich draws."""
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from rich.console import Console
    from textual.geometry import Size

    from tui.data.dashboard import CampaignRow, TargetRow
    from tui.widgets.targets import TargetsView, targets_table

    metrics = st.sampled_from(["retrieval_recall", "hallucination_rate", "latency_p95_s", "a_metric_with_a_long_name"])
    targets = st.builds(
        TargetRow, metric=metrics, segment=st.sampled_from([None, "support", "a segment with a long name"]),
        direction=st.sampled_from([None, "lower_is_better", "higher_is_better"]), target=st.floats(0, 10),
        threshold=st.none(), priority=st.just("primary"), current=st.none() | st.floats(0, 10),
        gap=st.none() | st.floats(-10, 10), exceeds=st.none() | st.booleans(),
        trend=st.lists(st.floats(0, 1), max_size=20).map(tuple))

    @settings(max_examples=60, deadline=None)
    @given(st.lists(targets, min_size=1, max_size=9), st.integers(20, 160))
    def check(rows: list, width: int) -> None:
        campaign = CampaignRow(id="c-1", name="n", goal_text="g", state="active", autonomy="full", cycles_done=0,
                               cycle_number=None, cycle_state=None, outcome="", targets=tuple(rows), awaiting=0)
        view = TargetsView()
        view.campaign = campaign
        console = Console(width=width, color_system="truecolor", force_terminal=True)
        drawn = console.render_lines(targets_table(campaign), console.options.update_width(width), pad=False)
        assert view.get_content_height(Size(width, 50), Size(width, 50), width) == len(drawn)

    check()


def test_todo_view_counts_the_lines_rich_draws() -> None:
    """The ToDo pane's height is counted, one line an item: the count must be what Rich draws."""
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from rich.console import Console
    from textual.geometry import Size

    from manager.todo import TodoItem
    from tui.widgets.todo import TodoView, todo_table

    texts = st.text(st.sampled_from(list("ab -…[]") + ["日", "\n", "\t", "\x1b"]), max_size=60)
    items = st.builds(TodoItem, done=st.booleans(), kind=st.just("cycle"), title=texts,
                      status=st.one_of(texts, st.sampled_from(["running", "failed: x", "completed"])),
                      progress=st.none() | st.tuples(st.integers(0, 30), st.integers(1, 30)),
                      needs_human=st.booleans())

    @settings(max_examples=60, deadline=None)
    @given(st.lists(items, min_size=1, max_size=12), st.integers(20, 160))
    def check(rows: list, width: int) -> None:
        view = TodoView()
        view.show(rows)
        console = Console(width=width, color_system="truecolor", force_terminal=True)
        drawn = console.render_lines(todo_table(rows), console.options.update_width(width), pad=False)
        assert view.get_content_height(Size(width, 50), Size(width, 50), width) == len(drawn)

    check()
