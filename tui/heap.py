"""Keeping the garbage collector's full collections short.

Python's full collection walks every object that can hold references, and nothing
else runs meanwhile. Right after start-up this app holds about 100,000 of them
(the modules), and each page adds 20,000-40,000 (its widgets); every full collection
walked them all again, 100-500 ms in which no key was handled (``bench/bench_tui.py``).
``settle`` collects, then moves every live object out of the collector's reach
(``gc.freeze``), so that later collections walk only what came after.

It is for things that live as long as the app, at moments when little else has
piled up: start-up, and a page's first fill early in a session. Not for data: rows
and render caches come and go, and a frozen object that dies in a reference cycle
(Textual's rendered lines do) is only freed by ``release`` when the app closes.
At these few moments that holds back about 30,000 objects once; settling after
every read instead held back 110,000 more every half minute of use (measured).

Full collections still walk what came after, 50-130 ms with a page of 600 rows, and
Python starts one wherever allocations happen to cross its threshold: often in the
middle of drawing a page, so the user waited for both. While the app runs, Python starts
none on its own (``hold_full_collections``): ``collect_if_due``, called between event-loop
steps, runs one when Python's own rule (a quarter more long-lived objects than after the
last one) says it is due, so a collection is a step of its own.
"""

from __future__ import annotations

import gc
from typing import Any

SMALL = 50_000  # objects the collector tracks: walking this many takes a few ms
NEVER = 1 << 30  # a gen-2 threshold Python never reaches
YOUNG = 10_000  # allocations between young collections while the app runs (Python's default: 700)
FLOOR = 20_000  # new long-lived objects worth a collection even after everything was frozen

_held: tuple[int, int, int] | None = None  # the thresholds to restore
_base = 0  # long-lived objects after the last full collection


def settle() -> None:
    """Collect all garbage, then set every live object aside."""
    gc.collect()
    gc.freeze()
    _counted()


def settle_page() -> None:
    """Set a page's widgets aside once it is first filled: after a full collection when that is
    quick, else after collecting the young generations only (the older garbage there is then kept)."""
    gc.collect(2 if len(gc.get_objects()) < SMALL else 1)
    gc.freeze()
    _counted()


def hold_full_collections() -> None:
    """Python stops starting full collections; ``collect_if_due`` runs them instead. Young
    collections start every ``YOUNG`` allocations rather than 700: drawing a page allocates
    thousands of objects that live until the frame is out, and each young collection walked
    them again (the main thread's young collections in a bench browse: 0.8-1.1 s, then 0.5-0.6 s)."""
    global _held
    if _held is None:
        _held = gc.get_threshold()
        gc.set_threshold(max(_held[0], YOUNG), _held[1], NEVER)
        _counted()


def collect_if_due() -> bool:
    """Run a full collection if Python would have by now; True if it ran (call between steps)."""
    if _held is None or gc.get_count()[2] < _held[2]:  # Python's own gate, before counting objects
        return False
    if len(gc.get_objects(2)) - _base <= max(_base // 4, FLOOR):
        return False
    gc.collect(2)
    _counted()
    return True


def _counted() -> None:
    global _base
    _base = len(gc.get_objects(2))


def release() -> None:
    """Hand every frozen object back to the collector and Python its thresholds (the app is closing)."""
    global _held
    gc.unfreeze()
    if _held is not None:
        gc.set_threshold(*_held)
        _held = None


def parcel(value: Any) -> list[Any]:
    """A thread worker's result, wrapped so that the receiver can take it out (``unwrap``).

    Textual's Worker stays in a reference cycle with its task until a full collection, and
    all its result holds waits with it: 100 table rows of a page read, a meta-prompt's lines.
    Taken out, a result is freed when its reader drops it (browsing the bench's tables left
    the collector 250,000 objects, 40,000 of them the rows of such results).
    """
    return [value]


def unwrap(result: list[Any]) -> Any:
    """The value a worker ``parcel``-ed, taken out of the worker."""
    return result.pop()
