"""Keeping a DataTable in step with fresh rows while touching as little as possible.

Every repaint costs the event loop; a refresh that changes nothing should paint nothing,
and one that changes a cell should not rebuild the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.widgets import DataTable

Row = tuple[str, Sequence[Any]]


def row_keys(table: DataTable) -> list[str]:
    return [str(row.key.value) for row in table.ordered_rows]


def cursor_key(table: DataTable) -> str | None:
    if not table.row_count:
        return None
    try:
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
    except Exception:
        return None


def sync_rows(table: DataTable, rows: Sequence[Row]) -> bool:
    """Make ``table`` show ``rows``; returns True when anything changed.

    Same keys in the same order: only the cells that differ are updated. Otherwise the
    table is rebuilt and the cursor stays on the row it was on, if that row is still there.
    """
    keys = [key for key, _ in rows]
    columns = list(table.columns)
    if keys == row_keys(table):
        changed = False
        for key, cells in rows:
            old = table.get_row(key)
            for column, new, before in zip(columns, cells, old):
                if new != before:
                    table.update_cell(key, column, new, update_width=True)
                    changed = True
        return changed
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
