"""What one TUI session works with: the workspace, its store, the rules, the reviewer.

Everything blocking here is called from thread workers, never from the event loop.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manager.workspace import open_store, rules_dir
from store import Store
from store.models import TargetSpec


class ReadOnlyRefused(RuntimeError):
    """A change was asked for in a read-only session; nothing was sent."""


@dataclass(frozen=True)
class Outcome:
    """What became of a command sent to the engine."""

    verb: str
    state: str  # done | refused | pending | error
    text: str
    command_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.state == "done"


class Session:
    def __init__(self, workspace: Path, *, read_only: bool = False, approver: str | None = None,
                 command_wait_s: float = 60.0) -> None:
        from manager.identity import os_account

        self.workspace = workspace
        self.read_only = read_only
        # Shown in the approval prompt; the command itself is signed by manager.commands
        # with the OS account, so pass a different name only to pin pictures in tests.
        self.approver = approver or os_account()
        self.command_wait_s = command_wait_s
        # Two locks: loading the rules (importing the engine the first time: about 0.5 s)
        # must not hold up a reader that only wants the store.
        self._store_lock = threading.Lock()
        self._rules_lock = threading.Lock()
        self._store: Store | None = None
        self._rules_stamp: tuple | None = None
        self._rulebook: Any = None
        self.pause_point: Any = None  # what the store calls between partitions and records (the app's LoopBeat)

    @property
    def rules_folder(self) -> Path:
        return rules_dir(self.workspace)

    @property
    def store(self) -> Store:
        with self._store_lock:
            if self._store is None:
                # Read-only in every session: the TUI only reads it. An engine run here opens its
                # own store, and changes go as commands (manager.commands.submit), so a TUI
                # takes no writer lock and works on a read-only mount.
                self._store = open_store(self.workspace, read_only=True)
                self._store.set_pause_point(self.pause_point)
            return self._store

    def _stamp(self) -> tuple:
        folder = self.rules_folder
        if not folder.is_dir():
            return ()
        return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                            for p in folder.iterdir() if p.is_file()))

    def rulebook(self) -> Any:
        """The rule files as last validated (the last good ones stay when a file breaks), or None."""
        stamp = self._stamp()
        with self._rules_lock:
            if stamp != self._rules_stamp:
                self._rules_stamp = stamp
                try:
                    from rules import load_rulebook
                    from rules.errors import RuleFilesInvalid
                except ImportError:
                    return self._rulebook
                try:
                    self._rulebook = load_rulebook(self.rules_folder)
                except RuleFilesInvalid:
                    pass
            return self._rulebook

    def default_targets(self) -> list[TargetSpec]:
        book = self.rulebook()
        return list(book.targets) if book is not None else []

    def send(self, verb: str, args: dict[str, Any]) -> Outcome:
        """Send a command and wait for the engine's answer (blocking: call from a thread)."""
        if self.read_only:
            raise ReadOnlyRefused(f"{verb} refused: this session is read-only")
        from manager.commands import submit

        try:
            cmd = submit(self.workspace, verb, args, wait_s=self.command_wait_s)
        except Exception as exc:  # the engine could not be reached or built: say why
            return Outcome(verb, "error", f"{type(exc).__name__}: {exc}")
        if cmd.state == "pending":
            return Outcome(verb, "pending", f"{cmd.id} sent; the engine has not answered within "
                                            f"{self.command_wait_s:g} s", cmd.id)
        return Outcome(verb, cmd.state, cmd.result, cmd.id)
