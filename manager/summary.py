"""What a run achieved, per campaign: for `run --json` and the reports."""

from __future__ import annotations

from typing import Any

from manager.context import Context
from manager.learning import campaign_targets
from store.models import Campaign, Experiment, MetricSnapshot, ParameterVersion


def golden_of_active(ctx: Context) -> MetricSnapshot | None:
    active = ctx.store.find(ParameterVersion, active=True)
    if not active:
        return None
    snaps = ctx.store.find(MetricSnapshot, source="golden", version=active[-1].version)
    return snaps[-1] if snaps else None


def campaign_summary(ctx: Context, campaign: Campaign) -> dict[str, Any]:
    experiments = ctx.store.find(Experiment, campaign_id=campaign.id)
    gold = golden_of_active(ctx)
    targets = []
    for t in campaign_targets(ctx, campaign):
        current = None
        if gold is not None:
            source = gold.segments.get(t.segment, {}) if t.segment else gold.metrics
            current = source.get(t.metric)
        met = None
        if current is not None:
            met = current < t.target if t.direction == "lower_is_better" else current > t.target
        targets.append({"metric": t.metric, "segment": t.segment, "direction": t.direction, "target": t.target,
                        "golden": current, "met": met})
    return {
        "id": campaign.id,
        "name": campaign.name,
        "state": campaign.state,
        "outcome": campaign.outcome,
        "cycles": campaign.cycles_done,
        "experiments": len(experiments),
        "applied": sum(1 for e in experiments if e.state == "applied"),
        "rolled_back": sum(1 for e in experiments if e.state == "rolled_back"),
        "rejected": sum(1 for e in experiments if e.state == "rejected"),
        "awaiting_approval": [e.id for e in experiments if e.state == "awaiting_approval"],
        "golden_version": gold.version if gold else None,
        "targets": targets,
        "all_targets_met": bool(targets) and all(t["met"] for t in targets),
    }


def run_summary(ctx: Context) -> dict[str, Any]:
    active = ctx.store.find(ParameterVersion, active=True)
    return {
        "workspace": str(ctx.workspace),
        "active_version": active[-1].version if active else None,
        "active_params": active[-1].params if active else None,
        "campaigns": [campaign_summary(ctx, c) for c in ctx.store.all(Campaign)],
    }
