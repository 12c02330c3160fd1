"""Workspaces for the Manager's tests: the real embedded MaaS, or the scripted one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import scripted_maas
from manager.demo import ensure_workspace
from manager.engine import Engine
from store.models import Campaign
from manager.workspace import rules_dir


@pytest.fixture
def demo_ws(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ensure_workspace(ws)
    return ws


def scripted_workspace(tmp_path: Path, *, level: str = "auto") -> Path:
    """A workspace whose autonomy rules know the scripted factor ``x``, with one campaign."""
    ws = tmp_path / "scripted"
    ensure_workspace(ws, demo_campaign=False)
    (rules_dir(ws) / "autonomy.yaml").write_text(scripted_maas.AUTONOMY.format(level=level), encoding="utf-8")
    return ws


def scripted_engine(ws: Path, **options) -> Engine:
    return Engine(ws, maas=scripted_maas.build(ws, options))


def start_campaign(engine: Engine, **kw) -> str:
    from manager.campaigns import create_campaign

    with engine.store.raw.engine_lock():
        campaign = create_campaign(engine.ctx, name=kw.pop("name", "test"), goal_text=kw.pop("goal_text", "test goal"),
                                   created_by=kw.pop("created_by", "tester"), **kw)
    return campaign.id


def run(engine: Engine, **kw) -> Engine:
    kw.setdefault("until_idle", True)
    asyncio.run(engine.run(**kw))
    return engine


def learn(engine: Engine, max_cycles: int, reviewer: str = "reviewer") -> Engine:
    """Run headless as an operator would, approving each change that waits for a human."""
    from manager.approvals import approve
    from store.models import Experiment

    while True:
        engine.cycles_run = 0
        budget = max_cycles - sum(c.cycles_done for c in engine.store.all(Campaign))
        if budget <= 0:
            return engine
        run(engine, max_cycles=budget)
        waiting = engine.store.find(Experiment, state="awaiting_approval")
        if not waiting:
            return engine
        for exp in waiting:
            with engine.store.raw.engine_lock():
                approve(engine.ctx, exp.id, exp.proposal_hash, reviewer)
