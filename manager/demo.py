"""The demo workspace: the embedded MaaS, the default rules and one campaign."""

from __future__ import annotations

from pathlib import Path

from manager.workspace import is_workspace, rules_dir, write_config

DEMO_GOAL = "Reach the seed's target metrics (hallucination, precision, recall, context utilization, latency, errors)"


def ensure_workspace(workspace: Path, *, demo_campaign: bool = True) -> bool:
    """Create the workspace if missing; returns True when it was created now."""
    if is_workspace(workspace):
        return False
    from rules import install_defaults

    workspace.mkdir(parents=True, exist_ok=True)
    install_defaults(rules_dir(workspace))
    write_config(workspace)
    if demo_campaign:
        from manager.campaigns import create_campaign
        from manager.engine import Engine

        engine = Engine(workspace)
        with engine.store.raw.engine_lock():
            create_campaign(engine.ctx, name="Target metrics", goal_text=DEMO_GOAL, created_by="demo",
                            initiator="auto")
        engine.ctx.ports.close()
    return True
