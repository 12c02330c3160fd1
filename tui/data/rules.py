"""The rule files on disk and the decisions they made (for the policy owner's screen)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from store.models import ChangeLogEntry

DECISIONS_SCANNED = 400  # newest log entries looked at for decisions with fired rules
DECISIONS_SHOWN = 40


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


@dataclass(frozen=True)
class RuleFileStatus:
    name: str
    problems: int


@dataclass(frozen=True)
class RulesStatus:
    folder: Path
    files: tuple[RuleFileStatus, ...]
    problems: tuple[Problem, ...]
    fingerprint: str | None  # of the files on disk when they validate
    last_load: ChangeLogEntry | None  # the engine's latest reload or refusal


@dataclass(frozen=True)
class DecisionRow:
    seq: int
    at: Any
    kind: str
    summary: str
    rules: tuple[str, ...]
    entry: ChangeLogEntry


def rule_file_names(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir()
                  if p.is_file() and p.suffix in (".yaml", ".yml") and not p.name.startswith("."))


def _short(file: str, folder: Path) -> str:
    path = Path(file)
    try:
        return str(path.relative_to(folder))
    except ValueError:
        return path.name if path.is_absolute() else file


def check_files(folder: Path) -> tuple[tuple[Problem, ...], str | None]:
    """Validate the files as the engine would; returns the problems, or the fingerprint when valid."""
    from rules import load_rulebook
    from rules.errors import RuleFilesInvalid

    try:
        book = load_rulebook(folder)
    except RuleFilesInvalid as exc:
        return tuple(Problem(_short(e.file, folder), e.line, e.column, e.message) for e in exc.errors), None
    return (), book.fingerprint


def load_status(store: Any, folder: Path) -> RulesStatus:
    problems, fingerprint = check_files(folder)
    names = rule_file_names(folder)
    per_file = {name: sum(1 for p in problems if Path(p.file).name == name) for name in names}
    last = store.log(kind="rules", reverse=True, limit=1)
    return RulesStatus(
        folder=folder,
        files=tuple(RuleFileStatus(name, per_file[name]) for name in names),
        problems=problems,
        fingerprint=fingerprint,
        last_load=last[0] if last else None,
    )


def latest_decisions(store: Any) -> tuple[DecisionRow, ...]:
    rows = []
    for entry in store.log(offset=0, limit=DECISIONS_SCANNED, reverse=True):
        if entry.fired:
            rules = tuple(str(f.get("rule", "?")) for f in entry.fired if isinstance(f, dict))
            rows.append(DecisionRow(entry.seq, entry.at, entry.kind, entry.summary, rules, entry))
            if len(rows) >= DECISIONS_SHOWN:
                break
    return tuple(rows)


@dataclass(frozen=True)
class TestsResult:
    passed: int
    failures: tuple[str, ...]  # "file:line: name: problems"
    errors: tuple[str, ...]  # rule or test files that could not be read
    unexercised: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.failures and not self.errors


def run_tests(folder: Path) -> TestsResult:
    """The policy owner's rule tests (``rules/tests/*.yaml``) against the files on disk."""
    from rules import run_rule_tests

    report = run_rule_tests(folder)
    failures = tuple(f"{_short(f.file, folder)}:{f.line}: {f.name}: " + "; ".join(f.problems) for f in report.failed)
    errors = tuple(str(Problem(_short(e.file, folder), e.line, e.column, e.message)) for e in report.errors)
    return TestsResult(len(report.passed), failures, errors, tuple(report.unexercised))
