"""The event loop goes first: readers wait while it is busy, full collections run between its steps."""

from __future__ import annotations

import asyncio
import gc
import threading
import time

from tui import heap
from tui.loop_beat import BUSY, LINGER, MAX_WAIT, LoopBeat


def test_a_reader_waits_while_the_loop_is_busy_and_not_while_it_idles() -> None:
    beat = LoopBeat()
    waits: dict[str, float] = {}

    def reader(name: str, delay: float = 0.0) -> None:
        time.sleep(delay)  # arrives once the loop has been busy that long
        started = time.monotonic()
        beat.give_way()
        waits[name] = time.monotonic() - started

    async def main() -> None:
        beat.attach(asyncio.get_running_loop())
        beat.give_way()  # on the loop's own thread: never waits, never starts the beat
        assert not beat.busy
        first = threading.Thread(target=reader, args=("first",))
        first.start()  # the first ask starts the beat and does not wait
        await asyncio.sleep(0.1)
        first.join()
        idle = threading.Thread(target=reader, args=("idle",))
        idle.start()
        await asyncio.sleep(0.1)  # the loop idles: the reader goes on at once
        idle.join()
        busy = threading.Thread(target=reader, args=("busy", 0.05))
        busy.start()
        time.sleep(0.2)  # the loop is busy for 200 ms: the reader, there after 50, waits for it
        await asyncio.sleep(0.05)
        busy.join()
        stuck = threading.Thread(target=reader, args=("stuck", 0.05))
        stuck.start()
        time.sleep(MAX_WAIT + 0.25)  # busier than MAX_WAIT: the reader goes on anyway
        stuck.join(timeout=0.01)
        assert not stuck.is_alive()
        await asyncio.sleep(LINGER + 0.1)  # nobody asked for a second: the beat stops
        assert beat._handle is None
        beat.detach()

    asyncio.run(main())
    assert waits["first"] < BUSY and waits["idle"] < BUSY
    assert 0.1 < waits["busy"] < MAX_WAIT
    assert MAX_WAIT - 0.01 < waits["stuck"] < MAX_WAIT + 0.1


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_full_collections_wait_for_collect_if_due() -> None:
    before = gc.get_threshold()
    heap.hold_full_collections()
    try:
        assert gc.get_threshold()[2] == heap.NEVER and gc.get_threshold()[0] >= heap.YOUNG
        assert not heap.collect_if_due()  # nothing piled up yet
        enough = 2 * max(heap.FLOOR, len(gc.get_objects(2)) // 4)  # more than is due, in any test process
        kept = [Cycle() for _ in range(enough)]  # long-lived: survive into generation 2
        gc.collect(1)
        gc.collect(1)
        garbage_collections = gc.get_stats()[2]["collections"]
        del kept  # cyclic garbage in generation 2: Python alone no longer collects it
        for _ in range(before[2]):  # as many as Python waits for before it looks
            gc.collect(1)
        assert gc.get_stats()[2]["collections"] == garbage_collections
        assert heap.collect_if_due()
        assert gc.get_stats()[2]["collections"] == garbage_collections + 1
        assert not heap.collect_if_due()  # just collected: not due again
    finally:
        heap.release()
    assert gc.get_threshold() == before


def test_a_parcelled_worker_result_is_freed_once_taken_even_if_the_worker_is_not() -> None:
    import weakref

    class Rows:
        pass

    rows = Rows()
    gone = weakref.ref(rows)

    class Worker:  # as Textual's: kept alive by a reference cycle until a full collection
        def __init__(self, result):
            self.result, self.me = result, self

    gc.disable()
    try:
        worker = Worker(heap.parcel(rows))
        del rows
        taken = heap.unwrap(worker.result)
        del worker
        assert gone() is taken
        del taken
        assert gone() is None  # freed with its reader, while the worker waits for the collector
    finally:
        gc.enable()
