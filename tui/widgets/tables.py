"""Tables that stay cheap to draw, and keeping them in step with fresh rows.

Every repaint costs the event loop; a refresh that changes nothing should paint nothing,
and one that changes a cell should not rebuild the table.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, KeysView, Sequence
from typing import Any, Generic, TypeVar, cast

from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.css.styles import RenderStyles
from textual.color import Color
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import Column, ColumnKey, RowKey

Row = tuple[str, Sequence[Any]]
K = TypeVar("K")
V = TypeVar("V")

# What a table keeps rendered: more than a tall terminal shows, far less than DataTable's
# 1,000 lines and 10,000 cells, each of which a full garbage collection has to walk.
LINES = 160
PAUSE_EVERY = 10  # rows laid out in a thread between two calls of its pause (about 1 ms)
CELLS = 1024  # cell texts laid out; styled cells are cheap to redo from them, so half as many

_NO_STYLE = Style()
Lines = list[list[Segment]]
Layout = dict[tuple[str, str, int], tuple[Any, Lines]]  # (row key, column key, width) -> (cell, its lines)


class Table(DataTable):
    """A DataTable that lays each cell's text out once, and can have that done in a worker.

    DataTable keys its rendered cells by a counter that every added, removed or updated
    row moves, so 100 rows paged in re-render every visible cell through Rich (about
    45 ms for 38 lines). Here a body cell's text is laid out once per value and width,
    and only the row, cursor and hover styles are applied on each render, exactly as
    DataTable applies them; ``layout_job`` lays rows out before they reach the table,
    in the thread that read them. Headers, labels and multi-line rows take DataTable's
    way. It also keeps fewer rendered lines and cells (``LINES``, ``CELLS``).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._columns_in_order: list[Column] | None = None
        self._drawing: _Drawing | None = None  # while a repaint runs
        super().__init__(*args, **kwargs)
        self._laid_out: FlatLRU[tuple, tuple[Any, Lines]] = FlatLRU(CELLS)
        # DataTable clears these at every added, updated or sorted row (see FlatLRU)
        self._row_render_cache = FlatLRU(LINES)
        self._line_cache = FlatLRU(LINES)
        self._row_renderable_cache = FlatLRU(LINES)
        self._cell_render_cache = FlatLRU(CELLS // 2)
        self._offset_cache = FlatLRU(1)

    def forget_drawings(self) -> None:
        """Drop every rendered line and laid-out cell, keeping the rows (for a page put out of sight).

        Each table keeps thousands of small objects that a full garbage collection walks,
        whether it is shown or not; redrawing the visible rows on return takes a few ms.
        """
        self._clear_caches()
        self._laid_out.clear()

    # -- what DataTable asks again and again while drawing ---------------------------------

    @property
    def ordered_columns(self) -> list[Column]:
        # DataTable builds this list anew for every line and cell it draws
        if self._columns_in_order is None:
            self._columns_in_order = super().ordered_columns
        return self._columns_in_order

    def add_column(self, *args: Any, **kwargs: Any) -> ColumnKey:
        self._columns_in_order = None
        return super().add_column(*args, **kwargs)

    def remove_column(self, column_key: ColumnKey | str) -> None:
        self._columns_in_order = None
        super().remove_column(column_key)

    def clear(self, columns: bool = False) -> Table:
        if columns:
            self._columns_in_order = None
        super().clear(columns)
        return self

    def render_lines(self, crop: Region) -> list[Strip]:
        # Nothing a repaint reads changes within it, yet DataTable reads the same styles, size and
        # settings again for every line and cell, walking the widget's ancestors or reactive
        # descriptors each time (a quarter of a table's repaint in the bench)
        self._drawing = _Drawing(super().rich_style, super().size, super().background_colors, self._settings(),
                                 self.app.console_options)
        try:
            return super().render_lines(crop)
        finally:
            self._drawing = None

    @property
    def rich_style(self) -> Style:
        return self._drawing.rich_style if self._drawing is not None else super().rich_style

    @property
    def size(self) -> Size:
        return self._drawing.size if self._drawing is not None else super().size

    @property
    def background_colors(self) -> tuple[Color, Color]:
        return self._drawing.background_colors if self._drawing is not None else super().background_colors

    def get_component_styles(self, *names: str) -> RenderStyles:
        drawing = self._drawing
        if drawing is None:
            return super().get_component_styles(*names)
        styles = drawing.components.get(names)
        if styles is None:
            styles = drawing.components[names] = _StyledOnce(super().get_component_styles(*names))
        return cast(RenderStyles, styles)

    def _settings(self) -> tuple:
        if self._drawing is not None:
            return self._drawing.settings
        return (self.fixed_rows, self.fixed_columns, self.show_cursor, self._show_hover_cursor,
                self.cursor_foreground_priority == "css", self.cursor_background_priority == "css",
                self.cell_padding)

    # -- laying cells out ------------------------------------------------------------------

    def layout_job(self, pause: Callable[[], None] | None = None) -> Callable[[Sequence[Row]], Layout]:
        """A function, safe to run in a thread, that lays out rows' text cells as this table would
        (calling ``pause`` between every few rows: the thread gives way to a busy event loop)."""
        console, padding = self.app.console, self.cell_padding
        options = self.app.console_options
        columns = [(str(column.key.value), column.get_render_width(self)) for column in self.ordered_columns]

        def lay_out(rows: Sequence[Row]) -> Layout:
            layout: Layout = {}
            for n, (key, cells) in enumerate(rows, 1):
                for (column, width), cell in zip(columns, cells):
                    if isinstance(cell, Text):  # other values are formatted by DataTable first
                        layout[(key, column, width)] = (cell, _lay_out(console, options, cell, width, padding))
                if pause is not None and n % PAUSE_EVERY == 0:
                    pause()
            return layout

        return lay_out

    def adopt_layout(self, layout: Layout) -> None:
        """Keep the laid-out cells that the table shows now (a cell replaced meanwhile is skipped)."""
        for (key, column, width), (cell, lines) in layout.items():
            if self._data.get(key, {}).get(column) is cell:
                self._laid_out[(key, column, width)] = (cell, lines)

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> Lines:
        fixed_rows, fixed_columns, show_cursor, show_hover_cursor, css_foreground, css_background, padding = \
            self._settings()
        if row_index < fixed_rows or column_index < fixed_columns:  # header, labels, fixed cells
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if self.rows[row_key].height != 1:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        # DataTable keys on its update counter, which every row added moves: paging in 100 rows
        # redrew every visible cell. The value itself tells a changed cell (a new value is a new object).
        value = self._data[row_key].get(column_key)
        cache_key = (row_key, column_key, row_index, column_index, width, base_style, cursor, hover,
                     show_hover_cursor, self._pseudo_class_state)
        drawn = self._cell_render_cache.get(cache_key)
        if drawn is not None and drawn[0] is value:
            return drawn[1]
        known = self._laid_out.get((row_key, column_key, width))
        if known is None or known[0] is not value:  # a new value is a new object
            cell = self._get_row_renderables(row_index).cells[column_index]
            options = self._drawing.console_options if self._drawing is not None else self.app.console_options
            known = (value, _lay_out(self.app.console, options, cell, width, padding))
            self._laid_out[(row_key, column_key, width)] = known
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, show_cursor, show_hover_cursor, css_foreground, css_background)
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        rendered = [list(Segment.apply_style(line, pre_style, post_style)) for line in known[1]]
        self._cell_render_cache[cache_key] = (value, rendered)
        return rendered

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        # Fixed widths and one-line rows: new rows change the height, nothing worth measuring
        # (DataTable measures every new cell, about 10 ms per 100 rows).
        new_rows = list(new_rows)
        rows = [row for row in map(self.rows.get, new_rows) if row is not None]
        if any(column.auto_width for column in self.columns.values()) or any(
                row.label is not None or row.auto_height for row in rows):
            super()._update_dimensions(new_rows)
        else:
            super()._update_dimensions(())


class _Drawing:
    """What a table's repaint reads again and again, read once for the repaint."""

    __slots__ = ("rich_style", "size", "background_colors", "settings", "console_options", "components")

    def __init__(self, rich_style: Style, size: Size, background_colors: tuple[Color, Color], settings: tuple,
                 console_options: ConsoleOptions) -> None:
        self.rich_style, self.size, self.background_colors = rich_style, size, background_colors
        self.settings, self.console_options = settings, console_options
        self.components: dict[tuple[str, ...], _StyledOnce] = {}


class _StyledOnce:
    """A component's styles with the Rich style worked out once, for one repaint."""

    def __init__(self, styles: RenderStyles) -> None:
        self._styles = styles
        self.rich_style = styles.rich_style

    def __getattr__(self, name: str) -> Any:
        return getattr(self._styles, name)


class FlatLRU(Generic[K, V]):
    """A least-recently-used cache with the methods DataTable calls on its caches.

    Textual's LRUCache links its entries in a ring of lists, and ``clear`` drops the ring
    whole: a ring is a reference cycle, so everything in it (rendered lines, cells, rows)
    waits for a full garbage collection. DataTable clears its caches at every row added,
    updated or sorted; browsing the bench's tables left 390,000 objects for the collector
    (``bench/bench_tui.py``). An OrderedDict keeps the order in C, without cycles: what is
    cleared or evicted is freed at once.
    """

    __slots__ = ("_data", "maxsize")

    def __init__(self, maxsize: int) -> None:
        self._data: OrderedDict[K, V] = OrderedDict()
        self.maxsize = maxsize

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __getitem__(self, key: K) -> V:
        value = self._data[key]
        self._data.move_to_end(key)
        return value

    def get(self, key: K, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def set(self, key: K, value: V) -> None:
        data = self._data
        data[key] = value
        data.move_to_end(key)
        while len(data) > self.maxsize:
            data.popitem(last=False)

    __setitem__ = set

    def discard(self, key: K) -> None:
        self._data.pop(key, None)

    def clear(self) -> None:
        self._data.clear()

    def keys(self) -> KeysView[K]:
        return self._data.keys()

    def grow(self, maxsize: int) -> None:
        self.maxsize = max(self.maxsize, maxsize)


def _lay_out(console: Console, options: ConsoleOptions, cell: Any, width: int, padding: int) -> Lines:
    """A one-line cell's text, padded, without the row's styles (what DataTable renders before styling),
    in as few segments as draw the same."""
    return [_joined(line) for line in _rich_lines(console, options, cell, width, padding)]


def _rich_lines(console: Console, options: ConsoleOptions, cell: Any, width: int, padding: int) -> Lines:
    plain = _plain_line(cell, width - 2 * padding)
    if plain is not None:
        return [_padded_line(console, cell, plain, width - 2 * padding, padding)]
    one_line = options.update_dimensions(width, 1).update(no_wrap=True)
    return console.render_lines(Padding(cell, (0, padding)), one_line)


def _joined(line: list[Segment]) -> list[Segment]:
    """Neighbouring segments of one style joined, a null style counting as none.

    Every segment of a cell gets the row's styles added on each render, and every segment
    is carried through the line's cropping and filters: a plain cell's padding, text and
    fill are one segment, not four. (Rich's ``Segment.simplify`` would fold a control code in.)
    """
    joined: list[Segment] = []
    for text, style, control in line:
        style = style or None
        if joined and not control and not joined[-1].control and joined[-1].style == style:
            joined[-1] = Segment(joined[-1].text + text, style)
        else:
            joined.append(Segment(text, style, control))
    return joined


def _plain_line(cell: Any, inner: int) -> str | None:
    """The characters Rich would show of a one-style, one-line ``Text`` in ``inner`` cells; None for
    any other cell (spans, tabs, control codes, justified or wrapping text go through Rich).

    Rich's full rendering of a cell (wrap, justify, crop, pad) costs about 0.15 ms; the
    hundred-odd cells of a table coming back into view took 25 ms of the event loop.
    """
    if (not isinstance(cell, Text) or cell.spans or inner < 1 or cell.no_wrap is False
            or cell.justify not in (None, "default") or cell.overflow == "ignore"):
        return None
    plain = cell.plain
    if not plain or not plain.isprintable():
        return None
    if cell_len(plain) <= inner:
        return plain
    if cell.overflow == "ellipsis":
        return set_cell_size(plain, inner - 1) + "…"
    return set_cell_size(plain, inner)


def _padded_line(console: Console, cell: Text, plain: str, inner: int, padding: int) -> list[Segment]:
    edge = [Segment(" " * padding, _NO_STYLE)] if padding else []
    line = [*edge, Segment(plain, console.get_style(cell.style) if cell.style else None)]
    rest = inner - cell_len(plain)
    if rest > 0:
        line.append(Segment(" " * rest, _NO_STYLE))
    return line + edge


def row_keys(table: DataTable) -> list[str]:
    return [str(row.key.value) for row in table.ordered_rows]


def cursor_key(table: DataTable) -> str | None:
    if not table.row_count:
        return None
    try:
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
    except Exception:
        return None


def update_cells(table: DataTable, rows: Iterable[Row], update_width: bool = False) -> bool:
    """Update the cells that differ in rows the table has; returns True when any did."""
    columns = [column.key for column in table.ordered_columns]
    changed = False
    for key, cells in rows:
        old = table._data[RowKey(key)]
        for column, new in zip(columns, cells):
            if new != old.get(column):
                table.update_cell(key, column, new, update_width=update_width)
                changed = True
    return changed


def sync_rows(table: DataTable, rows: Sequence[Row]) -> bool:
    """Make ``table`` show ``rows``; returns True when anything changed.

    Same keys in the same order: only the cells that differ are updated. Otherwise the
    table is rebuilt and the cursor stays on the row it was on, if that row is still there.
    """
    keys = [key for key, _ in rows]
    if keys == row_keys(table):
        return update_cells(table, rows, update_width=True)
    current = cursor_key(table)
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=key)
    if current is not None and current in keys:
        table.move_cursor(row=keys.index(current), animate=False)
    return True


def flex_width(total: int, taken: int, minimum: int = 20) -> int:
    """The width left for a table's one flexible column, fixed when the table is built.

    ``taken`` counts the other columns, every column's padding (2 each), the pane's padding
    and the scrollbar. Fixed widths keep refreshes from re-measuring cells.
    """
    return max(minimum, total - taken)
