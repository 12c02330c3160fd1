"""The demo workspace: the embedded MaaS, the default rules and one campaign."""

from __future__ import annotations

from pathlib import Path

from manager.workspace import is_workspace, rules_dir, write_config

DEMO_GOAL = "Reach the seed's target metrics (hallucination, precision, recall, context utilization, latency, errors)"


# In the demo a reviewer approves changes of this factor, so the approval path shows.
DEMO_APPROVAL_FACTOR = "abstain_threshold"


def ask_a_human_for(autonomy_file: Path, factor: str) -> None:
    """Set one parameter's autonomy level to approval, keeping the file's comments."""
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip: the policy owner's comments stay
    data = yaml.load(autonomy_file.read_text(encoding="utf-8"))
    data["autonomy"]["parameters"][factor]["level"] = "approval"
    data["autonomy"]["parameters"][factor].yaml_add_eol_comment("demo: a reviewer approves these", "level")
    with autonomy_file.open("w", encoding="utf-8") as out:
        yaml.dump(data, out)


def ensure_workspace(workspace: Path, *, demo_campaign: bool = True) -> bool:
    """Create the workspace if missing; returns True when it was created now."""
    if is_workspace(workspace):
        return False
    from rules import install_defaults

    workspace.mkdir(parents=True, exist_ok=True)
    install_defaults(rules_dir(workspace))
    write_config(workspace)
    if demo_campaign:
        ask_a_human_for(rules_dir(workspace) / "autonomy.yaml", DEMO_APPROVAL_FACTOR)
    if demo_campaign:
        from manager.campaigns import create_campaign
        from manager.engine import Engine

        engine = Engine(workspace)
        with engine.store.raw.engine_lock():
            create_campaign(engine.ctx, name="Target metrics", goal_text=DEMO_GOAL, created_by="demo",
                            initiator="auto")
        engine.ctx.ports.close()
    return True
