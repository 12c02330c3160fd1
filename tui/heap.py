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
"""

from __future__ import annotations

import gc

SMALL = 50_000  # objects the collector tracks: walking this many takes a few ms


def settle() -> None:
    """Collect all garbage, then set every live object aside."""
    gc.collect()
    gc.freeze()


def settle_page() -> None:
    """Set a page's widgets aside once it is first filled: after a full collection when that is
    quick, else after collecting the young generations only (the older garbage there is then kept)."""
    gc.collect(2 if len(gc.get_objects()) < SMALL else 1)
    gc.freeze()


def release() -> None:
    """Hand every frozen object back to the collector (the app is closing)."""
    gc.unfreeze()
