"""Walking a table's partitions in id order with TinyDB queries, for find/page/count and the log."""

from __future__ import annotations

import json
from typing import Any, Callable, Iterator

from tinydb import where
from tinydb.queries import QueryLike

from store.errors import StoreError
from store.filters import Probe
from store.partition import partition_table
from store.view import View


def check_window(offset: int, limit: int | None) -> None:
    if not isinstance(offset, int) or offset < 0:
        raise StoreError(f"offset must be a non-negative integer, got {offset!r}")
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise StoreError(f"limit must be a non-negative integer or None, got {limit!r}")


def query(values: dict[str, Any]) -> QueryLike | None:
    cond = None
    for name, value in values.items():
        # a cached document keeps a list or dict value as its JSON text (store.partition.packed)
        part = where(name).test(same_value, value) if type(value) in (list, dict) else where(name) == value
        cond = part if cond is None else cond & part
    return cond


def same_value(stored: Any, wanted: list | dict) -> bool:
    return (json.loads(stored) if type(stored) is bytes else stored) == wanted


def candidates(view: View, kind: str, probe: Probe | None) -> list[str]:
    """The partitions of ``kind`` that may hold a match, in order (all of them without a probe)."""
    keys = view.keys(kind)
    if not probe:
        return keys
    return [key for key in keys if view.admits(kind, key, probe)]


def walk(
    view: View,
    kind: str,
    cond: QueryLike | None,
    reverse: bool,
    offset: int,
    keep: Callable[[str], bool] | None = None,
    probe: Probe | None = None,
) -> Iterator[tuple[dict[str, Any], str]]:
    """Documents (with their file) in id order, skipping ``offset`` matches.

    Numbered partitions come in number order and whole ones are skipped by
    their counts when there is no filter; free-form ids (buckets) come last,
    sorted by id. Partitions whose filter rules out ``probe`` (the field values
    of ``cond``) are not read.
    """
    keys = candidates(view, kind, probe)
    numbered = [k for k in keys if k.isdigit() and (keep is None or keep(k))]
    buckets = [k for k in keys if not k.isdigit()]
    skip = offset

    def partition(key: str) -> list[tuple[dict[str, Any], str]]:
        docs = matching(view, kind, key, cond)
        if not docs:
            return []
        docs.sort(key=lambda d: d.doc_id, reverse=reverse)
        src = view.where(kind, key)
        return [(d, src) for d in docs]

    def bucket_rows() -> list[tuple[dict[str, Any], str]]:
        rows = [row for key in buckets for row in partition(key)]
        rows.sort(key=lambda row: row[0]["id"], reverse=reverse)
        return rows

    groups: list[Callable[[], list]] = []
    sizes: list[int] = []
    for key in numbered:
        groups.append(lambda key=key: partition(key))
        sizes.append(view.count(kind, key))
    if buckets:
        groups.append(bucket_rows)
        sizes.append(sum(view.count(kind, key) for key in buckets))
    order = range(len(groups) - 1, -1, -1) if reverse else range(len(groups))
    for i in order:
        if cond is None and skip >= sizes[i]:
            skip -= sizes[i]
            continue
        rows = groups[i]()
        if skip >= len(rows):
            skip -= len(rows)
            continue
        yield from rows[skip:]
        skip = 0


def matching(view: View, kind: str, key: str, cond: QueryLike | None) -> list:
    """TinyDB documents of one partition that match ``cond`` (all without one).

    A committed partition never changes, so "nothing here matches" is
    remembered per file and query: the engine's repeated scans (pending
    commands, experiments awaiting approval) skip such partitions unread.
    """
    if cond is None:
        return partition_table(view, kind, key).all()
    name = view.file_name(kind, key)
    if name is not None and view.known_empty(name, cond):
        return []
    docs = partition_table(view, kind, key).search(cond)
    if name is not None and not docs:
        view.remember_empty(name, cond)
    return docs


def count(view: View, kind: str, cond: QueryLike | None, probe: Probe | None = None) -> int:
    if cond is None:
        return view.total(kind)
    return sum(len(matching(view, kind, key, cond)) for key in candidates(view, kind, probe))
