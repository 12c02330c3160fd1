"""The active rules of a running engine, reloadable: a bad edit never replaces good rules."""

from __future__ import annotations

import threading
from pathlib import Path

from pydantic import BaseModel

from rules.book import RuleBook, load_rulebook
from rules.errors import EngineError, RuleError, RuleFilesInvalid
from rules.evaluator import Evaluator


class ReloadResult(BaseModel):
    ok: bool
    changed: bool
    errors: list[RuleError]


class RuleSource:
    """Rules read from ``path`` (None: the packaged defaults).

    If the files do not validate at start, ``rulebook`` and ``evaluator`` are None and
    ``errors`` says why; later, a reload that fails keeps the last good rules.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = None if path is None else Path(path)
        self._lock = threading.Lock()
        self._evaluator: Evaluator | None = None
        self.errors: list[RuleError] = []
        self.reload()

    @property
    def evaluator(self) -> Evaluator | None:
        return self._evaluator

    @property
    def rulebook(self) -> RuleBook | None:
        """The rule book of ``evaluator`` (one attribute, so the two never disagree)."""
        evaluator = self._evaluator
        return None if evaluator is None else evaluator.rulebook

    def reload(self) -> ReloadResult:
        """Read the files again; swap in new rules only when they validate and compile."""
        with self._lock:
            try:
                book = load_rulebook(self.path)
                current = self._evaluator
                if current is not None and current.rulebook.fingerprint == book.fingerprint:
                    self.errors = []
                    return ReloadResult(ok=True, changed=False, errors=[])
                evaluator = Evaluator(book)
            except RuleFilesInvalid as exc:
                self.errors = exc.errors
                return ReloadResult(ok=False, changed=False, errors=exc.errors)
            except EngineError as exc:
                where = str(self.path) if self.path else "packaged rules"
                self.errors = [RuleError(file=where, line=1, column=1, message=str(exc))]
                return ReloadResult(ok=False, changed=False, errors=self.errors)
            self._evaluator = evaluator
            self.errors = []
            return ReloadResult(ok=True, changed=True, errors=[])
