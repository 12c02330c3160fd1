"""Workspaces shared by the hardening tests, built once per run; tests work on copies.

Under pytest-xdist every worker would build its own; they share one folder instead (the
workers' common temp root), the first to come builds under a file lock.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Callable

import pytest
from filelock import FileLock
from hardening_ws import copy_ws, make_demo

from manager.commands import submit
from manager.engine import Engine
from manager.workspace import store_dir
from store import Store
from store.models import Experiment

# A goal that, with the demo campaign and every factor at ``approval``, leaves two experiments
# (one per campaign) waiting for a reviewer.
APPROVAL_GOALS = ("reduce hallucination_rate below 3%",)


def shared(tmp_path_factory: pytest.TempPathFactory, run_worker: str, name: str,
           build: Callable[[Path], None]) -> Path:
    root = tmp_path_factory.getbasetemp()
    if run_worker != "master":
        root = root.parent  # common to every worker of this run
    path = root / "hardening-templates" / name
    path.parent.mkdir(exist_ok=True)
    with FileLock(str(path) + ".lock"):
        if not (path.parent / f"{name}.ready").exists():
            shutil.rmtree(path, ignore_errors=True)
            build(path)
            (path.parent / f"{name}.ready").touch()
    return path


@pytest.fixture(scope="session")
def run_worker(request: pytest.FixtureRequest) -> str:
    """pytest-xdist's worker name, or "master" without it."""
    workerinput = getattr(request.config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "master"


@pytest.fixture(scope="session")
def demo_auto(tmp_path_factory: pytest.TempPathFactory, run_worker: str) -> Path:
    """The demo workspace with every factor at autonomy level ``auto``; no cycle run yet."""
    return shared(tmp_path_factory, run_worker, "demo-auto", lambda ws: make_demo(ws, level="auto"))


@pytest.fixture(scope="session")
def after_cycle1(demo_auto: Path, tmp_path_factory: pytest.TempPathFactory, run_worker: str) -> Path:
    """``demo_auto`` after its first learning cycle (the next one applies a change)."""

    def build(ws: Path) -> None:
        copy_ws(demo_auto, ws)
        asyncio.run(Engine(ws).run(until_idle=True, max_cycles=1))

    return shared(tmp_path_factory, run_worker, "after-cycle1", build)


@pytest.fixture(scope="session")
def awaiting(tmp_path_factory: pytest.TempPathFactory, run_worker: str) -> Path:
    """Every factor at ``approval``; two campaigns run until each waits for a human."""

    def build(ws: Path) -> None:
        make_demo(ws, level="approval")
        for text in APPROVAL_GOALS:
            cmd = submit(ws, "goal", {"text": text})
            assert cmd.state == "done", cmd.result
        asyncio.run(Engine(ws).run(until_idle=True, max_cycles=30))
        assert len(Store.open(store_dir(ws)).find(Experiment, state="awaiting_approval")) >= 2

    return shared(tmp_path_factory, run_worker, "awaiting", build)


@pytest.fixture
def ws_copy(tmp_path: Path):
    """``ws_copy(template)``: a private copy of a session workspace."""
    count = iter(range(1000))

    def make(template: Path) -> Path:
        return copy_ws(template, tmp_path / f"ws{next(count)}")

    return make
