"""Fixtures of the TUI tests: a seeded workspace per test, and apps pinned for pictures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tui_seed import APPROVER, NOW, seed_workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return seed_workspace(tmp_path / "ws")


@pytest.fixture
def make(request: pytest.FixtureRequest):
    """Build an app, pinned: no engine, no blink, fixed clock and reviewer; on the seeded
    workspace unless ``workspace=`` names another."""
    from tui.app import make_app

    def build(**kwargs):
        options = dict(start_engine=False, approver=APPROVER, cursor_blink=False, now=lambda: NOW,
                       poll_interval=0.2)
        options.update(kwargs)
        workspace = options.pop("workspace", None) or request.getfixturevalue("workspace")
        return make_app(workspace, **options)

    return build


@pytest.fixture(scope="session")
def awaiting_template(tmp_path_factory) -> tuple[Path, str]:
    """Built once: a real workspace with a change awaiting approval (copied per test)."""
    from tui_seed import awaiting_workspace

    return awaiting_workspace(tmp_path_factory.mktemp("template") / "ws")


@pytest.fixture
def awaiting(awaiting_template, tmp_path: Path) -> tuple[Path, str]:
    """A private copy of the awaiting workspace and the id of the experiment that waits."""
    source, experiment_id = awaiting_template
    target = tmp_path / "awaiting"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.lock"))
    return target, experiment_id
