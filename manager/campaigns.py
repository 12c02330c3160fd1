"""Campaigns (learning goals): created from a translated goal, designed by the Teacher (seed 4.1)."""

from __future__ import annotations

from typing import Any

from manager import journal
from manager.context import Context, EngineEvent
from manager.learning import allowed_factors
from state_machines import CampaignLifecycle
from manager.goals.reading import CONSTRAINT_METRICS
from store.models import Campaign, TargetSpec

# constraint -> the metric it bounds
CONSTRAINT_TARGETS = {key: metric for metric, key in CONSTRAINT_METRICS.items()}


def targets_with_constraints(
    targets: list[TargetSpec], constraints: dict[str, float], defaults: list[TargetSpec]
) -> list[TargetSpec]:
    """A stated max latency / max error rate is a target too, unless the goal already names one."""
    out = list(targets)
    named = {(t.metric, t.segment) for t in out}
    by_metric = {t.metric: t for t in defaults}
    for key, metric in CONSTRAINT_TARGETS.items():
        if key in constraints and (metric, None) not in named and metric in by_metric:
            out.append(by_metric[metric].model_copy(update={"target": float(constraints[key])}))
    return out


def create_campaign(
    ctx: Context,
    *,
    name: str,
    goal_text: str,
    targets: list[TargetSpec] | None = None,
    allowed: list[str] | None = None,
    frozen: list[str] | None = None,
    constraints: dict[str, float] | None = None,
    priorities: list[str] | None = None,
    autonomy: str = "auto",
    created_by: str,
    initiator: str = "manual",
) -> Campaign:
    """Register a campaign, ask the Teacher to design its experiments, and start it."""
    defaults = list(ctx.rules.rulebook.targets)
    own = targets_with_constraints(list(targets or []), dict(constraints or {}), defaults) if targets else []
    campaign = ctx.store.insert(Campaign(
        name=name, goal_text=goal_text, targets=own, allowed_factors=list(allowed or []),
        frozen_factors=list(frozen or []), constraints=dict(constraints or {}), priorities=list(priorities or []),
        autonomy=autonomy, created_by=created_by))
    design_targets: list[dict[str, Any]] = [t.model_dump() for t in (own or defaults)]
    designs = ctx.ports.call("teacher", "design_experiments", design_targets, allowed_factors(ctx, campaign))
    campaign.plan = [d.model_dump() for d in designs]
    lc = CampaignLifecycle(campaign, save=ctx.store.update)
    with ctx.store.transaction():
        lc.trigger("activate")
        ctx.store.append_log(journal.entry(
            "campaign", f"{campaign.id} started: {name}", reason=goal_text, initiator=initiator,
            actor=created_by, campaign_id=campaign.id,
            targets=[t.model_dump() for t in own] or "rule-file targets",
            plan=[d["title"] for d in campaign.plan]))
    ctx.emit(EngineEvent("campaign", f"campaign started: {name}", campaign.id))
    return lc.record


def set_campaign_state(ctx: Context, campaign_id: str, trigger: str, *, actor: str, reason: str = "") -> Campaign:
    campaign = ctx.store.get(Campaign, campaign_id)
    lc = CampaignLifecycle(campaign, save=ctx.store.update)
    with ctx.store.transaction():
        lc.trigger(trigger)
        ctx.store.append_log(journal.entry(
            "campaign", f"{campaign.id} {lc.state} by {actor}", reason=reason, initiator="manual", actor=actor,
            campaign_id=campaign.id))
    ctx.emit(EngineEvent("campaign", f"{campaign.name}: {lc.state}", campaign.id))
    return lc.record
