"""The demo workspace: the embedded MaaS, the default rules and one campaign."""

from __future__ import annotations

import io
from pathlib import Path

from manager.workspace import is_workspace, rules_dir, store_dir, write_config
from store.files import make_private_dir, replace_atomic

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
    text = io.StringIO()
    yaml.dump(data, text)
    replace_atomic(autonomy_file, text.getvalue().encode("utf-8"), keep_mode=True)  # never half a rule file


def ensure_workspace(workspace: Path, *, demo_campaign: bool = True) -> bool:
    """Create the workspace if missing; returns True when it was created now."""
    if is_workspace(workspace):
        return False
    from rules import install_defaults

    from store import Store

    # workspace.yaml last: a workspace that has it has its store (see manager.workspace.open_store)
    make_private_dir(workspace)  # 0o700 when created here: rules, history and approvals are the owner's
    install_defaults(rules_dir(workspace))
    Store.open(store_dir(workspace)).close()
    if demo_campaign:
        from manager.campaigns import create_campaign
        from manager.engine import Engine
        from store.models import Campaign

        ask_a_human_for(rules_dir(workspace) / "autonomy.yaml", DEMO_APPROVAL_FACTOR)
        engine = Engine(workspace)
        with engine.store.raw.engine_lock():
            if not engine.store.count(Campaign):  # a creation cut short before workspace.yaml
                create_campaign(engine.ctx, name="Target metrics", goal_text=DEMO_GOAL, created_by="demo",
                                initiator="auto")
        engine.ctx.ports.close()
    write_config(workspace)
    return True
