"""Experiment Orchestrator: hypothesis → policy → paired A/B → verdict → golden gate → apply.

Seed 4.2–4.4 and the Goodhart rule (0.4): a change is applied only when the
golden set, never used in emulation, confirms it. The A/B may stop at an interim
look (rules: ``methodology.ab_looks``) when the Teacher's verdict there is decisive.
"""

from __future__ import annotations

from typing import Any

from manager import journal
from manager.adapters import AdapterError
from manager.context import Context, EngineEvent
from manager.learning import (
    allowed_factors,
    emulate,
    facts_of,
    golden,
    proposal_hash,
    record_version,
)
from manager.ports import Batch, Judgement, ParamVersion, Verdict
from state_machines import ExperimentLifecycle
from store.models import Campaign, Cycle, Experiment, MetricSnapshot, TargetSpec


def tried_moves(ctx: Context, campaign: Campaign) -> list[dict[str, Any]]:
    """Earlier attempts of this campaign, so the Teacher does not repeat a failed move."""
    return [
        {"factor": e.factor, "proposed": e.variant_params.get(e.factor) if e.factor else None, "outcome": e.state,
         "baseline_version": e.baseline_version}
        for e in ctx.store.find(Experiment, campaign_id=campaign.id)
        if e.factor
    ]


def policy_facts(ctx: Context, campaign: Campaign, exp: Experiment, current: float, proposed: float) -> dict[str, Any]:
    # Queries the store can answer without reading all history (bench/bench_cycle.py): by state,
    # and by campaign (an experiment's cycle and its campaign's cycles are the campaign's own).
    others = [e for state in sorted(RUNNING) for e in ctx.store.find(Experiment, state=state) if e.id != exp.id]
    mine = [e for e in ctx.store.find(Experiment, campaign_id=campaign.id) if e.id != exp.id]
    return {
        "parameter": exp.factor,
        "current": current,
        "proposed": proposed,
        "campaign_autonomy": campaign.autonomy,
        "frozen": exp.factor in campaign.frozen_factors
        or bool(campaign.allowed_factors and exp.factor not in campaign.allowed_factors),
        "running_experiments_on_parameter": sum(1 for e in others if e.factor == exp.factor),
        "running_experiments": len(others),
        "factors_changed_this_cycle": sum(1 for e in mine if e.cycle_id == exp.cycle_id and e.state == "applied"),
        "experiment_cycles": sum(1 for e in mine if e.factor == exp.factor),
    }


# States in which an experiment holds its parameter (for the one-per-parameter rule).
RUNNING = {"running", "completed", "analyzed", "awaiting_approval"}


def _lc(ctx: Context, exp: Experiment) -> ExperimentLifecycle:
    return ExperimentLifecycle(exp, save=ctx.store.update, **approval_guard(ctx))


def approval_guard(ctx: Context) -> dict[str, Any]:
    """The machine's guard hook: an approval exists for the current proposal."""
    from store.models import Approval

    def approved(exp: Experiment) -> bool:
        return any(
            a.decision == "approve" and a.proposal_hash == exp.proposal_hash
            for a in ctx.store.find(Approval, experiment_id=exp.id)
        )

    return {"approved": approved}


def run_experiment(
    ctx: Context,
    campaign: Campaign,
    cycle: Cycle,
    active: ParamVersion,
    baseline_batch: Batch,
    baseline: Judgement,
    gaps: list[dict[str, Any]],
    targets: list[TargetSpec],
    seed: int,
) -> str:
    factors = allowed_factors(ctx, campaign)
    hypothesis = ctx.ports.call("teacher", "propose", gaps, active.params, factors, tried_moves(ctx, campaign))
    if hypothesis is None:
        from manager.learning import end_campaign

        ctx.store.append_log(journal.entry("experiment", f"{campaign.id}: the Teacher has no hypothesis left",
                                           campaign_id=campaign.id))
        end_campaign(ctx, campaign, "complete", "the Teacher has no hypothesis left for the remaining gaps")
        return "no hypothesis"

    design = next((d.get("title", "") for d in campaign.plan if d.get("factor") == hypothesis.factor), "")
    exp = ctx.store.insert(Experiment(
        campaign_id=campaign.id, cycle_id=cycle.id, factor=hypothesis.factor, step=hypothesis.step,
        title=f"{hypothesis.factor}: {hypothesis.current:g} → {hypothesis.proposed:g}", design=design,
        baseline_version=active.id, variant_params={**active.params, hypothesis.factor: hypothesis.proposed},
        hypothesis=hypothesis.reason, proposed_by="teacher",
        success_criteria=[f"{m} {d}" for m, d in hypothesis.expected.items()]))
    cycle.experiment_id = exp.id
    ctx.store.update(ctx.store.get(Cycle, cycle.id).model_copy(update={"experiment_id": exp.id}))

    policy = ctx.rules.evaluator.check_change(policy_facts(ctx, campaign, exp, hypothesis.current, hypothesis.proposed))
    exp.policy = policy.model_dump(mode="json")
    exp.fired = journal.fired_dicts(policy.fired)
    exp = ctx.store.update(exp)
    ctx.store.append_log(journal.entry(
        "experiment", f"{exp.id} planned: {exp.title}", reason=hypothesis.reason, campaign_id=campaign.id,
        experiment_id=exp.id, fired=policy.fired, policy=exp.policy))
    if not policy.allowed:
        return reject(ctx, exp, "policy: " + "; ".join(policy.reasons))

    lc = _lc(ctx, exp)
    lc.trigger("start")
    try:
        variant = ctx.ports.call("tuner", "prepare_variant", active.id, {hypothesis.factor: hypothesis.proposed},
                                 note=f"{exp.id}: {hypothesis.reason}"[:200])
        lc = _lc(ctx, ctx.store.update(lc.record.model_copy(
            update={"variant_version": variant.id, "variant_params": dict(variant.params)})))
        variant_batch, verdict, looks = run_ab(ctx, campaign, exp.id, variant.params, seed, baseline_batch)
        lc.trigger("complete")
        variant_judgement = ctx.ports.call("teacher", "judge", variant_batch)
        compared = same_dialogues(baseline_batch, variant_batch)
        if compared is not baseline_batch:  # stopped at an interim look: the rollback bound compares like for like
            baseline = ctx.ports.call("teacher", "judge", compared)
    except Exception as exc:
        fail(ctx, lc.record, f"{type(exc).__name__}: {exc}")
        raise
    ctx.store.insert(MetricSnapshot(
        campaign_id=campaign.id, cycle_id=cycle.id, experiment_id=exp.id, source="train", variant="variant",
        version=variant.id, metrics=variant_judgement.metrics, segments=variant_judgement.segments,
        dialogues=variant_judgement.dialogues))
    record = verdict.model_dump(mode="json")
    if looks:
        record["looks"] = looks
    lc.trigger("analyze", changes={"verdict": record})
    ctx.store.append_log(journal.entry(
        "experiment", f"{exp.id} verdict: {verdict.outcome}", reason=verdict.reason, campaign_id=campaign.id,
        experiment_id=exp.id, verdict=lc.record.verdict))
    if verdict.outcome != "winner":
        return reject(ctx, lc.record, f"A/B verdict {verdict.outcome}: {verdict.reason}")

    return validate_and_decide(ctx, campaign, lc.record, active, variant, baseline, variant_judgement, targets)


def look_points(ctx: Context) -> list[int]:
    """After how many of the variant's dialogues the Teacher judges the A/B: the rules' looks, then the whole batch."""
    methodology = ctx.rules.rulebook.methodology
    total = methodology.batch_size
    # The loader refuses other looks; a rule book built in code might not.
    looks = [k for k in methodology.ab_looks if 0 < k < total]
    if looks and not ctx.ports.accepts("emulator", "run_batch", "start"):
        if ctx.first_time("ab_looks without start"):
            ctx.store.append_log(journal.entry(
                "experiment", "interim A/B looks off: the emulator cannot run part of a batch",
                reason=f"methodology.ab_looks asks for looks at {', '.join(map(str, looks))} of {total} dialogues, "
                       "but the emulator's run_batch takes no 'start'; every A/B runs its whole batch"))
        looks = []
    return [*looks, total]


def run_ab(ctx: Context, campaign: Campaign, exp_id: str, params: dict[str, float], seed: int,
           baseline_batch: Batch) -> tuple[Batch, Verdict, list[dict[str, Any]]]:
    """Emulate the variant look by look; stop at the first verdict that is not "inconclusive".

    Each look is one ToDo task running the dialogues since the last look; the parts make one
    batch, which the Teacher compares with the baseline on the dialogues it covers. Returns the
    variant batch, the deciding verdict (its reason says which look decided) and each look's outcome
    (none when the rules ask for no interim look).
    """
    points = look_points(ctx)
    total = points[-1]
    parts: list[Batch] = []
    looks: list[dict[str, Any]] = []
    done = 0
    for k in points:
        title = f"Variant batch of {exp_id}"
        if len(points) > 1:
            title += f", dialogues {done + 1}-{k} of {total}"
        parts.append(emulate(ctx, campaign, exp_id, params, seed, title, n=k - done, start=done))
        done = k
        batch = joined(parts, seed)
        verdict = ctx.ports.call("teacher", "verdict", baseline_batch, batch)
        looks.append({"dialogues": k, "outcome": verdict.outcome, "reason": verdict.reason})
        if verdict.outcome != "inconclusive" or k == total:
            break
    if k < total:
        where = f"interim look at {k} of {total} dialogues"
    elif len(points) > 1:
        where = f"whole batch of {total} dialogues (interim looks at {', '.join(map(str, points[:-1]))} inconclusive)"
    else:
        return batch, verdict, []
    return batch, verdict.model_copy(update={"reason": f"{where}: {verdict.reason}"}), looks


def joined(parts: list[Batch], seed: int) -> Batch:
    """The parts of a batch emulated look by look, as one batch; an emulator that ignored ``start`` is caught."""
    if len(parts) == 1:
        return parts[0]
    seen: set[str] = set()
    for part in parts:
        ids = set(e.dialogue_id for e in part.events)
        if part.seed != seed:
            raise AdapterError("emulator", "run_batch", f"asked for seed {seed}, batch {part.id} has seed {part.seed}")
        if ids & seen:
            raise AdapterError("emulator", "run_batch", (
                f"batch {part.id}, a later part of one batch, repeats dialogues of an earlier part "
                f"({', '.join(sorted(ids & seen)[:3])}): the emulator did not honour 'start'"))
        seen |= ids
    return Batch(id="+".join(p.id for p in parts), params=parts[0].params, seed=seed,
                 dialogues=sum(p.dialogues for p in parts), events=[e for p in parts for e in p.events],
                 failed_dialogues=sum(p.failed_dialogues for p in parts))


def same_dialogues(baseline: Batch, variant: Batch) -> Batch:
    """The baseline on only the dialogues the variant ran (an A/B that stopped at an interim look).

    The baseline itself when the variant ran all of them.
    """
    keep = set(e.dialogue_id for e in variant.events)
    events = [e for e in baseline.events if e.dialogue_id in keep]
    if len(events) == len(baseline.events):
        return baseline
    errored: dict[str, bool] = {}
    for e in events:  # a dialogue that crashed has an error on every turn (the port has no other mark)
        errored[e.dialogue_id] = errored.get(e.dialogue_id, True) and e.error is not None
    return baseline.model_copy(update={"id": f"{baseline.id}[{len(keep)} of {baseline.dialogues}]", "events": events,
                                       "dialogues": len(keep), "failed_dialogues": sum(errored.values())})


def validate_and_decide(
    ctx: Context,
    campaign: Campaign,
    exp: Experiment,
    active: ParamVersion,
    variant: ParamVersion,
    baseline: Judgement,
    variant_judgement: Judgement,
    targets: list[TargetSpec],
) -> str:
    """Golden gate (seed 0.4) and the rollback bound, then apply or ask a human."""
    gold_base = golden(ctx, campaign, active, exp.id)
    gold_var = golden(ctx, campaign, variant, exp.id)
    delta = {key: round(gold_var.metrics[m] - gold_base.metrics[m], 6) for key, m in ctx.rules.rulebook.golden_deltas.items()}
    decision = ctx.rules.evaluator.decide(
        facts_of(variant_judgement, golden_delta=delta, baseline=dict(baseline.metrics)), targets=targets)
    validation = decision.validation
    degradation = decision.degradation
    exp = ctx.store.get(Experiment, exp.id)
    exp.golden_validation = {
        "apply": bool(validation and validation.apply),
        "reason": validation.reason if validation else "no validation",
        "delta": delta,
        "golden_baseline": gold_base.metrics,
        "golden_variant": gold_var.metrics,
        "degradation": degradation.model_dump(mode="json") if degradation else None,
        "fired": journal.fired_dicts(decision.fired),
    }
    exp.fired = exp.fired + journal.fired_dicts(decision.fired)
    exp.proposal_hash = proposal_hash(exp)
    exp = ctx.store.update(exp)
    ctx.store.append_log(journal.entry(
        "golden", f"{exp.id} golden validation: {'apply' if exp.golden_validation['apply'] else 'reject'}",
        reason=exp.golden_validation["reason"], campaign_id=campaign.id, experiment_id=exp.id,
        fired=decision.fired, delta=delta))
    if not exp.golden_validation["apply"]:
        return reject(ctx, exp, f"golden validation: {exp.golden_validation['reason']}")
    if degradation and degradation.rollback:
        return reject(ctx, exp, f"a metric worsened past the rollback bound: {', '.join(degradation.metrics)}")

    needs_approval = bool((exp.policy or {}).get("needs_approval"))
    if needs_approval:
        lc = _lc(ctx, exp)
        lc.trigger("request_approval")
        ctx.store.append_log(journal.entry(
            "approval", f"{exp.id} awaits approval", reason="; ".join((exp.policy or {}).get("reasons", [])),
            campaign_id=campaign.id, experiment_id=exp.id, fired=(exp.policy or {}).get("fired", []),
            proposal_hash=exp.proposal_hash))
        ctx.emit(EngineEvent("approval_needed", f"{exp.title} needs approval", campaign.id, exp.id))
        return "awaiting approval"
    return apply(ctx, exp, initiator="auto", actor="manager")


def apply(ctx: Context, exp: Experiment, *, initiator: str, actor: str) -> str:
    """Send the validated change to the Tuner, then record it with its evidence."""
    with ctx.tuner_lock:
        active = ctx.ports.call("tuner", "active")
        if active.id != exp.baseline_version:
            return reject(ctx, exp, f"the active version moved from {exp.baseline_version} to {active.id} "
                                    "since the experiment ran; its evidence no longer holds")
        lc = _lc(ctx, exp)
        if not lc.can("apply"):
            raise RuntimeError(f"{exp.id} cannot be applied from state {exp.state}")
        applied = ctx.ports.call("tuner", "apply", exp.variant_version)
        with ctx.store.transaction():
            lc.trigger("apply", changes={"applied_version": applied.id})
            record_version(ctx, applied, exp.id)
            ctx.store.append_log(journal.entry(
                "change", f"{exp.id} applied: {exp.title} ({exp.baseline_version} → {applied.id})",
                reason=(exp.golden_validation or {}).get("reason", ""), initiator=initiator, actor=actor,
                campaign_id=exp.campaign_id, experiment_id=exp.id,
                fired=(exp.golden_validation or {}).get("fired", []), version=applied.id,
                previous_version=exp.baseline_version, params=applied.params, golden_validation=exp.golden_validation))
    _close_pass(ctx, exp)
    ctx.emit(EngineEvent("applied", f"applied {exp.title}", exp.campaign_id, exp.id))
    return f"applied {exp.title}"


def reject(ctx: Context, exp: Experiment, reason: str, *, initiator: str = "auto", actor: str = "manager") -> str:
    exp = ctx.store.get(Experiment, exp.id)
    lc = _lc(ctx, exp)
    with ctx.store.transaction():
        lc.trigger("reject")
        ctx.store.append_log(journal.entry(
            "experiment", f"{exp.id} rejected: {reason}", reason=reason, initiator=initiator, actor=actor,
            campaign_id=exp.campaign_id, experiment_id=exp.id))
    _close_pass(ctx, exp)
    ctx.emit(EngineEvent("experiment", f"{exp.title}: rejected — {reason}", exp.campaign_id, exp.id))
    return f"rejected {exp.title}: {reason}"


def _close_pass(ctx: Context, exp: Experiment) -> None:
    from manager.learning import close_pass

    if exp.cycle_id:
        close_pass(ctx, ctx.store.get(Cycle, exp.cycle_id))


def fail(ctx: Context, exp: Experiment, reason: str) -> None:
    exp = ctx.store.get(Experiment, exp.id)
    lc = _lc(ctx, exp)
    if not lc.can("fail"):
        return
    with ctx.store.transaction():
        lc.trigger("fail")
        ctx.store.append_log(journal.entry(
            "error", f"{exp.id} failed: {reason}", reason=reason, campaign_id=exp.campaign_id, experiment_id=exp.id))
    ctx.emit(EngineEvent("error", f"{exp.title}: failed — {reason}", exp.campaign_id, exp.id))
