"""Letting the event loop go first: reader threads wait while it is busy.

Python runs one thread at a time and hands over every 5 ms, so a worker parsing store
partitions took half the event loop's time while the loop drew a page: a 60 ms draw
became a 120 ms stall (``bench/bench_tui.py``). The loop beats every ``BEAT`` seconds
while readers are about; a beat older than ``BUSY`` means the loop is in a long step
(or waiting to run), and a reader at a pause point sleeps until the loop beats again,
never more than ``MAX_WAIT`` in a row, so a read always gets on.

The beat stops a second after the last reader asked: an idle TUI over SSH wakes for
nothing.
"""

from __future__ import annotations

import asyncio
import threading
import time

BEAT = 0.01
BUSY = 0.02
NAP = 0.002
MAX_WAIT = 0.25
LINGER = 1.0  # the beat keeps going this long after a reader last asked


class LoopBeat:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._last = 0.0  # monotonic time of the latest beat
        self._asked = 0.0  # monotonic time a reader last asked

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Beat on ``loop`` (from its own thread)."""
        self._loop, self._loop_thread = loop, threading.get_ident()

    def detach(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._loop = self._handle = None

    @property
    def busy(self) -> bool:
        return self._handle is not None and time.monotonic() - self._last > BUSY

    def give_way(self) -> None:
        """In a reader thread: wait while the event loop is busy (at most ``MAX_WAIT``)."""
        loop = self._loop
        if loop is None or threading.get_ident() == self._loop_thread:
            return
        self._asked = time.monotonic()
        if self._handle is None:
            try:
                loop.call_soon_threadsafe(self._start)
            except RuntimeError:  # the loop is closed: nothing to give way to
                pass
            return
        deadline = self._asked + MAX_WAIT
        while self.busy and time.monotonic() < deadline:
            time.sleep(NAP)

    def _start(self) -> None:
        if self._handle is None and self._loop is not None:
            self._beat()

    def _beat(self) -> None:
        self._last = now = time.monotonic()
        if now - self._asked < LINGER and self._loop is not None:
            self._handle = self._loop.call_later(BEAT, self._beat)
        else:
            self._handle = None
