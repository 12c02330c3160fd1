"""The engine as the TUI sees it: run here in a background thread, or watched from afar.

One engine per workspace: if another process holds the engine lock, this TUI is an
observer and learns of progress from the store. Engine events reach the UI only as
messages posted through ``post`` (thread-safe), never by touching widgets.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any, Callable

from textual.message import Message

from tui.messages import EngineActivity, EngineModeChanged

MODES = ("off", "starting", "running", "observer", "stopped", "failed")


class EngineLink:
    def __init__(self, workspace: Path, post: Callable[[Message], Any]) -> None:
        self.workspace = workspace
        self._post = post
        self.mode = "off"
        self.detail = ""
        self.engine: Any = None
        self.thread: threading.Thread | None = None

    def _set(self, mode: str, detail: str = "") -> None:
        self.mode, self.detail = mode, detail
        self._post(EngineModeChanged(mode, detail))

    def start(self, store: Any) -> None:
        """Become the engine, or an observer if another process is one (blocking: call from a thread)."""
        if store.engine_running():
            self._set("observer", "another process runs the engine")
            return
        self._set("starting")
        try:
            from manager.engine import Engine

            self.engine = Engine(self.workspace, on_event=self._on_event)
        except Exception as exc:
            self._set("failed", f"{type(exc).__name__}: {exc}")
            return
        self.thread = threading.Thread(target=self._run, name="maas-engine", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from store import EngineBusy

        self._set("running")
        try:
            asyncio.run(self.engine.run())
        except EngineBusy:  # another engine took the lock between our look and our start
            self.engine.ctx.ports.close()
            self._set("observer", "another process runs the engine")
        except Exception as exc:
            self._set("failed", f"{type(exc).__name__}: {exc}")
        else:
            self._set("stopped")

    def _on_event(self, event: Any) -> None:
        # called on the engine's threads
        self._post(EngineActivity(event.kind, event.text, event.campaign_id, event.experiment_id))

    @property
    def running_here(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def stop(self, timeout: float) -> bool:
        """Ask the engine to stop at its next step; True when it did within ``timeout`` (blocking)."""
        if self.engine is None or self.thread is None:
            return True
        self.engine.stop()
        self.thread.join(timeout)
        return not self.thread.is_alive()
