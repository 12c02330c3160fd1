"""Helpers for driving the TUI in tests: wait until its reads are done, wait for a condition."""

from __future__ import annotations

import time
from typing import Callable

# workers that read the store or fill a screen; commands and prompts are not waited for
READS = {"page-fetch", "lazy-table", "poll", "news", "translate", "rule-tests", "engine-start", "rendered-text"}


async def settle(pilot, rounds: int = 2) -> None:
    """Let messages settle and every store read finish, twice over (a read can start another)."""
    app = pilot.app
    for _ in range(rounds):
        for _ in range(500):
            await pilot.pause(0.01)
            if not any(w.group in READS and w.state.name in ("PENDING", "RUNNING") for w in app.workers):
                break
        await pilot.pause()


async def press(pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[c if c != " " else "space" for c in text])


async def wait_for(pilot, condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    """Poll ``condition`` while the app runs; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await pilot.pause(0.05)
    await settle(pilot)


def screen_text(app) -> str:
    """What the screen shows now, as plain text (the same render as a screenshot)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, color_system=None,
                      legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


def run_async(test):
    """Run an ``async def`` test on its own event loop (no asyncio plugin is installed)."""
    import asyncio
    import functools

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return wrapper
