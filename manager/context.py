"""What every step of the engine works with: store, rules, ports, settings, events.

The store is shared by the engine's worker threads; ``LockedStore`` serialises
their calls (one writer in this process; the file lock covers other processes).
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from manager.adapters import GuardedPorts
from manager.history_index import HistoryIndex
from manager.workspace import WorkspaceConfig
from rules import RuleSource
from store import Store


class LockedStore:
    """A thread-safe view of a ``Store``: one call (or one transaction) at a time."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.RLock()

    @property
    def raw(self) -> Store:
        return self._store

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock, self._store.transaction():
            yield

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._store, name)
        if not callable(attr):
            return attr

        def locked(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attr(*args, **kwargs)

        return locked


@dataclass(frozen=True)
class EngineEvent:
    """Something an operator may want to see at once (posted to the TUI)."""

    kind: str  # progress | cycle | experiment | approval_needed | applied | rollback | rules | error | stopped
    text: str
    campaign_id: str | None = None
    experiment_id: str | None = None


class Stopped(Exception):
    """The engine was asked to stop; the current step ends cleanly."""


@dataclass
class Context:
    workspace: Path
    config: WorkspaceConfig
    store: LockedStore
    rules: RuleSource
    ports: GuardedPorts
    emit: Callable[[EngineEvent], None]
    stop: threading.Event = field(default_factory=threading.Event)
    history: HistoryIndex = field(default_factory=HistoryIndex)  # lookups the cycle repeats
    # Held from reading the Tuner's active version to recording a change of it, so that
    # cycles and commands running at the same time never apply over each other.
    tuner_lock: threading.RLock = field(default_factory=threading.RLock)
    _said: set[str] = field(default_factory=set, repr=False)
    _said_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def first_time(self, notice: str) -> bool:
        """True once per engine for ``notice``: a standing condition is logged once, not every cycle."""
        with self._said_lock:
            if notice in self._said:
                return False
            self._said.add(notice)
            return True

    def check_stop(self) -> None:
        if self.stop.is_set():
            raise Stopped()
