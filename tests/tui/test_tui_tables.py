"""The Table widget draws every cell exactly as DataTable does, however the text was laid out."""

from __future__ import annotations

import threading

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import App
from textual.widgets import DataTable
from tui_pilot import run_async

from tui.text import line
from tui.widgets.tables import PAUSE_EVERY, Table

COLUMNS = (("seq", 6), ("at", 4), ("kind", 10), ("by", 12), ("what", 30))


def rows(n: int = 40) -> list[tuple[str, tuple]]:
    out = []
    for i in range(n):
        out.append((str(i), (Text(str(i), style="dim"), Text("2025-01-01 00:00 too wide"),
                             Text("rollback", style="bold red"), line("auto:a-very-long-actor", limit=12),
                             Text.assemble(("a ", "green"), f"summary {i} " * (i % 4), ("[b]x[/b]", "italic")))))
    out.append(("odd", ("plain [b]markup[/b]", 1.5, None, 7, Text("two\nlines"))))
    return out


class Tables(App[None]):
    def compose(self):
        table = Table(cursor_type="row")
        for key, width in COLUMNS:
            table.add_column(key, key=key, width=width)
        yield table


def every_cell(table: Table):
    styles = (Style(), Style(bgcolor="red", bold=True))
    for row in range(table.row_count):
        for column, (_, width) in enumerate(COLUMNS):
            for base in styles:
                for cursor in (False, True):
                    for hover in (False, True):
                        yield row, column, base, width + 2 * table.cell_padding, cursor, hover


def drawn(lines) -> list:
    """A cell's lines as the table draws them: neighbouring segments of one style are joined."""
    return [list(Segment.simplify(line)) for line in lines]


def compare(table: Table) -> list:
    """Cells where Table's rendering differs from DataTable's (each rendered afresh)."""
    table._pseudo_class_state = table.get_pseudo_class_state()
    differ = []
    for args in every_cell(table):
        table._cell_render_cache.clear()
        ours = table._render_cell(*args)
        table._cell_render_cache.clear()
        theirs = DataTable._render_cell(table, *args)
        if drawn(ours) != drawn(theirs):
            differ.append((args, ours, theirs))
    return differ


@run_async
async def test_cells_render_as_datatable_renders_them() -> None:
    app = Tables()
    async with app.run_test(size=(80, 30)) as pilot:
        table = app.query_one(Table)
        for key, cells in rows():
            table.add_row(*cells, key=key)
        for focused in (False, True):
            if focused:
                table.focus()
            await pilot.pause()
            assert compare(table) == []
        assert len(table._laid_out) > 0  # the fast path ran

        table.update_cell("3", "what", Text("changed", style="blue"))  # a new value is laid out again
        await pilot.pause()
        assert compare(table) == []


class Twins(App[None]):
    """A Table and a DataTable side by side, given the same rows and the same changes."""

    CSS = "DataTable { width: 1fr; height: 16; }"
    AUTO_FOCUS = None  # a focused table draws its header otherwise

    def compose(self):
        for kind in (Table, DataTable):  # in this order
            table = kind(cursor_type="row")
            for key, width in COLUMNS:
                table.add_column(key, key=key, width=width)
            yield table


def screenful(table: DataTable) -> list:
    from textual.geometry import Region

    return [[(text, style) for text, style, _ in Segment.simplify(strip)]
            for strip in table.render_lines(Region(0, 0, *table.size))]


@run_async
async def test_table_draws_what_datatable_draws_through_changes() -> None:
    """Drawn lines are kept across rows added, cells changed, rows sorted and removed, columns
    added: whatever is kept, the screen is what DataTable draws after the same changes."""
    app = Twins()
    async with app.run_test(size=(160, 20)) as pilot:
        ours, theirs = app.query(DataTable)
        assert type(ours) is Table and type(theirs) is DataTable
        both = (ours, theirs)
        steps = [
            lambda t: [t.add_row(*cells, key=key) for key, cells in rows(12)],
            lambda t: [t.add_row(*cells, key=f"more {key}") for key, cells in rows(6)],  # under the fold
            lambda t: t.update_cell("3", "kind", Text("changed", style="blue")),
            lambda t: t.move_cursor(row=4),
            lambda t: t.sort("seq", key=lambda cell: -int(cell.plain) if isinstance(cell, Text) else 0),
            lambda t: t.remove_row("5"),
            lambda t: t.add_column("extra", key="extra", width=5),
            lambda t: t.update_cell("7", "extra", "new"),
            lambda t: (t.clear(columns=True), [t.add_column(k, key=k, width=w) for k, w in reversed(COLUMNS)],
                       [t.add_row(*reversed(cells), key=key) for key, cells in rows(8)]),
        ]
        for step in steps:
            for table in both:
                step(table)
            await pilot.pause()
            assert screenful(ours) == screenful(theirs)
        focused = []
        for table in both:  # one at a time
            table.focus()
            await pilot.pause()
            focused.append(screenful(table))
        assert focused[0] == focused[1] != screenful(ours)
        assert [c.key for c in ours.ordered_columns] == [c.key for c in theirs.ordered_columns]
        ours.clear(columns=True)
        assert ours.ordered_columns == []


@run_async
async def test_text_laid_out_in_a_thread_is_what_the_table_would_lay_out() -> None:
    app = Tables()
    async with app.run_test(size=(80, 30)) as pilot:
        table = app.query_one(Table)
        data = rows()
        pauses: list[int] = []
        lay_out = table.layout_job(pause=lambda: pauses.append(1))
        result: dict = {}
        worker = threading.Thread(target=lambda: result.update(lay_out(data)))
        worker.start()
        worker.join()
        assert len(pauses) == len(data) // PAUSE_EVERY  # the thread gives way between every few rows
        for key, cells in data:
            table.add_row(*cells, key=key)
        table.update_cell("5", "kind", Text("replaced"))  # its laid-out text no longer applies
        table.adopt_layout(result)
        assert ("5", "kind", 12) not in table._laid_out and ("5", "what", 32) in table._laid_out
        await pilot.pause()
        assert compare(table) == []


def rich_lay_out(console, cell, width: int, padding: int):
    """What Rich itself lays out for a cell (the way every cell went before the one-line shortcut)."""
    from rich.padding import Padding

    options = console.options.update_dimensions(width, 1).update(no_wrap=True)
    return console.render_lines(Padding(cell, (0, padding)), options)


def test_one_line_cells_are_laid_out_as_rich_lays_them_out() -> None:
    """The shortcut for one-style, one-line text gives Rich's segments exactly, whatever the
    characters (wide, combining, ellipsis at a wide character's edge), width and style."""
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from rich.console import Console

    from tui.widgets.tables import _rich_lines

    console = Console(width=120, color_system="truecolor", force_terminal=True, legacy_windows=False)
    chars = st.sampled_from(list("ab xyz-…[]") + ["日", "本", "é", "e\u0301", "🙂", "\u200b", "\t", "\x1b"])
    cells = st.builds(
        lambda text, style, overflow, no_wrap, justify: Text(text, style=style, overflow=overflow, no_wrap=no_wrap,
                                                             justify=justify),
        st.lists(chars, max_size=14).map("".join),
        st.sampled_from(["", "dim", "bold red", Style(color="green", italic=True)]),
        st.sampled_from([None, "fold", "crop", "ellipsis"]),
        st.sampled_from([None, True, False]),
        st.sampled_from([None, "default", "left", "right"]))

    @settings(max_examples=400, deadline=None)
    @given(cells, st.integers(1, 16), st.integers(0, 2))
    def check(cell: Text, width: int, padding: int) -> None:
        assert _rich_lines(console, console.options, cell, width, padding) == rich_lay_out(console, cell, width, padding)

    check()


def test_joined_segments_draw_as_the_segments_they_join() -> None:
    """Joining a cell's segments changes nothing once the row's styles are applied and the line simplified."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from tui.widgets.tables import _joined

    styles = st.sampled_from([None, Style(), Style(bold=True), Style(color="red"), Style(bold=True),
                              Style.from_meta({"x": 1}), Style(link="https://example.org")])
    segments = st.builds(lambda text, style, control: Segment(text, style, [(1,)] if control else None),
                         st.sampled_from(["", " ", "ab", "日本"]), styles, st.booleans())

    def drawn(line, style, post):
        pre = (style or Style()) + Style.from_meta({"row": 0, "column": 0})  # as the table adds them
        return list(Segment.simplify(Segment.apply_style(line, pre, post)))

    @settings(max_examples=300, deadline=None)
    @given(st.lists(segments, max_size=8), styles, styles)
    def check(line, pre, post) -> None:
        assert drawn(_joined(line), pre, post) == drawn(line, pre, post)
        assert len(_joined(line)) <= len(line)

    check()


def test_flat_lru_answers_as_textuals_lru_cache_does() -> None:
    """Same answers as the cache DataTable was built with, for any sequence of calls; but a
    value set again for a present key replaces the old one (``Table._laid_out`` relies on it)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from textual.cache import LRUCache

    from tui.widgets.tables import FlatLRU

    calls = st.lists(st.tuples(st.sampled_from(["set", "get", "getitem", "in", "discard", "clear"]),
                               st.integers(0, 6), st.integers()), max_size=60)

    @settings(max_examples=300, deadline=None)
    @given(st.integers(1, 4), calls)
    def check(maxsize: int, sequence: list) -> None:
        ours, theirs = FlatLRU(maxsize), LRUCache(maxsize)
        for call, key, value in sequence:
            if call == "set":
                if key in theirs:  # Textual's keeps a present key's first value; DataTable never sets one
                    first = theirs[key]  # (marks it recently used, as setting it does in ours)
                    ours[key] = value
                    assert ours[key] == value  # replaced
                    ours[key] = first  # back in step with Textual's, to go on comparing
                else:
                    ours[key] = value
                    theirs[key] = value
            elif call == "get":
                assert ours.get(key, "none") == theirs.get(key, "none")
            elif call == "getitem":
                assert (ours[key] if key in ours else KeyError) == (theirs[key] if key in theirs else KeyError)
            elif call == "in":
                assert (key in ours) == (key in theirs)
            elif call == "discard":
                ours.discard(key)
                theirs.discard(key)
            else:
                ours.clear()
                theirs.clear()
            assert len(ours) == len(theirs) and set(ours.keys()) == set(theirs.keys())

    check()


def test_what_flat_lru_drops_is_freed_without_the_garbage_collector() -> None:
    import gc
    import weakref

    from tui.widgets.tables import FlatLRU

    class Value:
        pass

    cache = FlatLRU(2)
    gc.disable()
    try:
        values = [Value() for _ in range(3)]
        refs = [weakref.ref(v) for v in values]
        for i, value in enumerate(values):
            cache[i] = value
        del values, value
        assert refs[0]() is None and refs[1]() is not None  # evicted: freed at once
        cache.clear()
        assert [r() for r in refs] == [None, None, None]  # cleared: freed at once, no collection ran
    finally:
        gc.enable()
