"""Shared fixtures of the rules tests: the packaged rules, their evaluator, a private copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rules import DEFAULTS_DIR, Evaluator, RuleBook, load_rulebook


@pytest.fixture(scope="session")
def book() -> RuleBook:
    return load_rulebook()


@pytest.fixture(scope="session")
def evaluator(book: RuleBook) -> Evaluator:
    return Evaluator(book)


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A private, editable copy of the packaged rule files (and their tests)."""
    dest = tmp_path / "rules"
    shutil.copytree(DEFAULTS_DIR, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest
