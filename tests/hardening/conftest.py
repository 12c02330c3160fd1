"""Workspaces shared by the hardening tests, built once per session; tests work on copies."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hardening_ws import copy_ws, make_demo

from manager.commands import submit
from manager.engine import Engine
from manager.workspace import store_dir
from store import Store
from store.models import Experiment

# A goal that, with the demo campaign and every factor at ``approval``, leaves two experiments
# (one per campaign) waiting for a reviewer.
APPROVAL_GOALS = ("reduce hallucination_rate below 3%",)


@pytest.fixture(scope="session")
def demo_auto(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace with every factor at autonomy level ``auto``; no cycle run yet."""
    return make_demo(tmp_path_factory.mktemp("tpl") / "demo-auto", level="auto")


@pytest.fixture(scope="session")
def after_cycle1(demo_auto: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``demo_auto`` after its first learning cycle (the next one applies a change)."""
    ws = copy_ws(demo_auto, tmp_path_factory.mktemp("tpl") / "after-cycle1")
    asyncio.run(Engine(ws).run(until_idle=True, max_cycles=1))
    return ws


@pytest.fixture(scope="session")
def awaiting(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every factor at ``approval``; two campaigns run until each waits for a human."""
    ws = make_demo(tmp_path_factory.mktemp("tpl") / "awaiting", level="approval")
    for text in APPROVAL_GOALS:
        cmd = submit(ws, "goal", {"text": text})
        assert cmd.state == "done", cmd.result
    asyncio.run(Engine(ws).run(until_idle=True, max_cycles=30))
    assert len(Store.open(store_dir(ws)).find(Experiment, state="awaiting_approval")) >= 2
    return ws


@pytest.fixture
def ws_copy(tmp_path: Path):
    """``ws_copy(template)``: a private copy of a session workspace."""
    count = iter(range(1000))

    def make(template: Path) -> Path:
        return copy_ws(template, tmp_path / f"ws{next(count)}")

    return make

