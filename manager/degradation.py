"""Degradation watch (seed 4.5): after a change is applied, watch the live metrics.

On the first fresh batch after an apply, the previous version runs on the same
dialogues (a paired canary), and the rollback rule compares the two. A metric
worse than the rule's bound rolls the change back through the Tuner, opens an
incident and says why in the change log.
"""

from __future__ import annotations

from manager import journal
from manager.context import Context, EngineEvent
from manager.learning import emulate, facts_of, record_version
from manager.ports import Batch, Judgement, ParamVersion
from state_machines import ExperimentLifecycle
from store.models import Campaign, Cycle, Experiment, Incident, MetricSnapshot, ParameterVersion


def unwatched_change(ctx: Context, active: ParamVersion) -> Experiment | None:
    """The applied experiment that produced the active version, if not yet watched."""
    for exp in ctx.history.applied(ctx.store, active.id):
        if not ctx.history.watched(ctx.store, exp.id):
            return exp
    return None


def watch(
    ctx: Context, campaign: Campaign, cycle: Cycle, active: ParamVersion, batch: Batch, live: Judgement, seed: int
) -> str | None:
    """Returns the id of the experiment rolled back, or None."""
    exp = unwatched_change(ctx, active)
    if exp is None or not exp.baseline_version:
        return None
    previous = ctx.store.find(ParameterVersion, version=exp.baseline_version)
    if not previous:
        return None
    prev_batch = emulate(ctx, campaign, exp.id, previous[-1].params, seed, f"Degradation watch of {exp.id}")
    prev = ctx.ports.call("teacher", "judge", prev_batch)
    decision = ctx.rules.evaluator.decide(facts_of(live, baseline=dict(prev.metrics)))
    ctx.store.insert(MetricSnapshot(
        campaign_id=campaign.id, cycle_id=cycle.id, experiment_id=exp.id, source="live", version=active.id,
        metrics=live.metrics, segments=live.segments, dialogues=live.dialogues))
    degradation = decision.degradation
    if degradation is None or not degradation.rollback:
        ctx.store.append_log(journal.entry(
            "cycle", f"{exp.id} watched after apply: no degradation", campaign_id=campaign.id,
            experiment_id=exp.id, fired=decision.fired))
        return None
    reason = "worse than before the change past the rollback bound: " + ", ".join(degradation.metrics)
    rollback(ctx, exp, reason, initiator="auto", actor="manager", metrics=list(degradation.metrics),
             fired=journal.fired_dicts(decision.fired))
    return exp.id


def rollback(
    ctx: Context,
    exp: Experiment,
    reason: str,
    *,
    initiator: str,
    actor: str,
    metrics: list[str] | None = None,
    fired: list[dict] | None = None,
) -> None:
    """Return to the experiment's baseline version through the Tuner, and record why."""
    with ctx.tuner_lock:  # see Context.tuner_lock
        restored = ctx.ports.call("tuner", "rollback", exp.baseline_version)
        exp = ctx.store.get(Experiment, exp.id)
        lc = ExperimentLifecycle(exp, save=ctx.store.update)
        with ctx.store.transaction():
            lc.trigger("rollback")
            record_version(ctx, restored, None)
            ctx.store.insert(Incident(campaign_id=exp.campaign_id, experiment_id=exp.id, metrics=metrics or [],
                                      reason=reason, action="rollback"))
            ctx.store.append_log(journal.entry(
                "rollback", f"{exp.id} rolled back to {restored.id}: {reason}", reason=reason, initiator=initiator,
                actor=actor, campaign_id=exp.campaign_id, experiment_id=exp.id, fired=fired or [],
                version=restored.id, previous_version=exp.applied_version))
    ctx.emit(EngineEvent("rollback", f"auto-rollback of {exp.title}: {reason}" if initiator == "auto"
                         else f"{exp.title} rolled back by {actor}", exp.campaign_id, exp.id))
