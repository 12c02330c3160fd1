"""One pass of the learning cycle of a campaign (seed 0.3):

emulate a batch → evaluate → gaps and should-tune (rules) → one hypothesis from
the Teacher → paired A/B on the same dialogues → verdict → golden validation
(rules) → apply through the Tuner, or wait for a human, or reject.

The Manager coordinates only: metrics come from the Teacher, hypotheses from the
Teacher, parameter versions from the Tuner, decisions from the rule files.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from manager import journal
from manager.context import Context, EngineEvent
from manager.ports import Batch, FactorSpec, Judgement, ParamVersion
from state_machines import (
    CampaignLifecycle,
    CycleLifecycle,
    ExperimentLifecycle,
    TaskLifecycle,
)
from store.models import Campaign, Cycle, Experiment, MetricSnapshot, ParameterVersion, TargetSpec, Task


def batch_seed(base: int, campaign_id: str, number: int) -> int:
    """A fresh, reproducible seed per cycle of a campaign (same seed → same dialogues)."""
    digest = hashlib.sha256(f"{base}:{campaign_id}:{number}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def proposal_hash(exp: Experiment) -> str:
    """What a reviewer sees; an approval is void if this changed after it was given."""
    seen = {
        "experiment": exp.id,
        "factor": exp.factor,
        "step": exp.step,
        "baseline_version": exp.baseline_version,
        "variant_version": exp.variant_version,
        "variant_params": exp.variant_params,
        "golden_validation": (exp.golden_validation or {}).get("delta"),
    }
    return hashlib.sha256(json.dumps(seen, sort_keys=True, default=str).encode()).hexdigest()[:16]


# --- targets -------------------------------------------------------------------


def campaign_targets(ctx: Context, campaign: Campaign) -> list[TargetSpec]:
    """A campaign's own targets, or the rule files' when it has none of its own."""
    return list(campaign.targets) if campaign.targets else list(ctx.rules.rulebook.targets)


def resolve_relative_targets(ctx: Context, campaign: Campaign, judgement: Judgement) -> Campaign:
    """'+10 pp over where we start' becomes a number at the first evaluation."""
    if not any(t.relative_to_baseline is not None for t in campaign.targets):
        return campaign
    resolved = []
    for t in campaign.targets:
        if t.relative_to_baseline is None:
            resolved.append(t)
            continue
        values = judgement.segments.get(t.segment, {}) if t.segment else judgement.metrics
        current = values.get(t.metric, judgement.metrics.get(t.metric))
        if current is None:
            resolved.append(t)
            continue
        resolved.append(t.model_copy(update={"target": round(current + t.relative_to_baseline, 6), "relative_to_baseline": None}))
    campaign.targets = resolved
    campaign = ctx.store.update(campaign)
    ctx.store.append_log(journal.entry(
        "campaign", f"{campaign.id}: relative targets fixed against the first evaluation",
        campaign_id=campaign.id, targets=[t.model_dump() for t in resolved]))
    return campaign


def facts_of(judgement: Judgement, **extra: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {"metrics": dict(judgement.metrics)}
    if judgement.segments:
        facts["segments"] = {k: dict(v) for k, v in judgement.segments.items()}
    facts.update(extra)
    return facts


# --- tasks (the Manager's ToDo) --------------------------------------------------


class TaskRun:
    """A ToDo item that is running: progress goes to the store, sparingly.

    Start and finish are one commit each (the record with its state, and the final
    count with the outcome). Between them progress is reported to listeners every ~10%
    but committed only ``PROGRESS_COMMITS`` times: a commit costs fsyncs, and a batch
    that takes a fraction of a second paid ten of them (bench/bench_cycle.py). The
    points depend on counts only, never on time, so a rerun commits the same sequence.
    """

    PROGRESS_COMMITS = 1  # durable progress writes between start and finish (at half way)

    def __init__(self, ctx: Context, kind: str, title: str, campaign_id: str | None, ref: str | None, total: int = 0):
        self.ctx = ctx
        self._lock = threading.Lock()
        with ctx.store.transaction():
            task = ctx.store.insert(Task(kind=kind, title=title, campaign_id=campaign_id, ref=ref, total=total))
            TaskLifecycle(task, save=ctx.store.update).trigger("start")
        self.task = task
        self._seen = (0, total)  # the latest progress reported
        self._told = -1  # done at the last event
        self._stored = 0  # progress writes so far
        self._finished = False

    def progress(self, done: int, total: int) -> None:
        # Called from the emulator's threads, possibly after the task failed on a timeout.
        with self._lock:
            if self._finished:
                return
            self._seen = (done, total)
            if done != total and done - self._told < max(1, total // 10):
                return
            self._told = done
            due = (self._stored + 1) * total / (self.PROGRESS_COMMITS + 1)
            if done < total and self._stored < self.PROGRESS_COMMITS and done >= due:
                self._stored += 1
                self.task = self.ctx.store.update(self.task.model_copy(update={"done": done, "total": total}))
        self.ctx.emit(EngineEvent("progress", f"{self.task.title}: {done}/{total}", self.task.campaign_id))

    def finish(self, ok: bool = True, error: str | None = None) -> None:
        with self._lock:
            self._finished = True
            done, total = self._seen
            self.task = self.ctx.store.get(Task, self.task.id)
            changes: dict[str, Any] = {"done": done, "total": total} if total else {}
            if error:
                changes["error"] = error
            TaskLifecycle(self.task, save=self.ctx.store.update).trigger("complete" if ok else "fail",
                                                                          changes=changes or None)


def emulate(ctx: Context, campaign: Campaign, ref: str, params: dict[str, float], seed: int, title: str,
            n: int | None = None, start: int = 0) -> Batch:
    """Dialogues ``start`` .. ``start + n - 1`` of ``seed`` (default: the whole batch), as one ToDo task."""
    n = n or ctx.rules.rulebook.methodology.batch_size
    run = TaskRun(ctx, "emulation", title, campaign.id, ref, total=n)
    try:
        # ``start`` only when it is needed: an emulator written before it existed still runs whole batches.
        part = {"start": start} if start else {}
        batch = ctx.ports.call("emulator", "run_batch", params, n, seed, run.progress, **part)
    except Exception as exc:
        run.finish(False, str(exc))
        raise
    run.finish()
    return batch


def golden(ctx: Context, campaign: Campaign, version: ParamVersion, experiment_id: str | None) -> Judgement:
    """Golden-set metrics of a version; measured once per version, then reused."""
    snap = ctx.history.golden(ctx.store, version.id)
    if snap is not None:
        return Judgement(metrics=snap.metrics, segments=snap.segments, dialogues=snap.dialogues, source="golden")
    run = TaskRun(ctx, "validation", f"Golden validation of {version.id}", campaign.id, experiment_id)
    try:
        judgement = ctx.ports.call("teacher", "validate_on_golden", version.params)
    except Exception as exc:
        run.finish(False, str(exc))
        raise
    ctx.store.insert(MetricSnapshot(
        campaign_id=campaign.id, experiment_id=experiment_id, source="golden", version=version.id,
        metrics=judgement.metrics, segments=judgement.segments, dialogues=judgement.dialogues))
    run.finish()
    return judgement


# --- one pass ----------------------------------------------------------------------


def run_cycle(ctx: Context, campaign_id: str) -> str:
    """Run one pass for a campaign; returns what happened, in a few words."""
    campaign = ctx.store.get(Campaign, campaign_id)
    rulebook = ctx.rules.rulebook
    number = campaign.cycles_done + 1
    cycle = ctx.store.insert(Cycle(campaign_id=campaign.id, number=number))
    clc = CycleLifecycle(cycle, save=ctx.store.update)
    active = ctx.ports.call("tuner", "active")
    seed = batch_seed(ctx.config.engine.seed, campaign.id, number)

    clc.trigger("start")
    batch = emulate(ctx, campaign, cycle.id, active.params, seed, f"Emulation batch {cycle.id}")
    ctx.check_stop()

    clc.trigger("complete")
    run = TaskRun(ctx, "evaluation", f"Evaluation of batch {cycle.id}", campaign.id, cycle.id)
    judgement = ctx.ports.call("teacher", "judge", batch)
    run.finish()
    ctx.store.insert(MetricSnapshot(
        campaign_id=campaign.id, cycle_id=cycle.id, source="train", version=active.id,
        metrics=judgement.metrics, segments=judgement.segments, dialogues=judgement.dialogues))
    campaign = resolve_relative_targets(ctx, campaign, judgement)
    ctx.check_stop()

    from manager.degradation import watch  # a late import: degradation uses this module

    rolled_back = watch(ctx, campaign, cycle, active, batch, judgement, seed)
    if rolled_back:
        clc.trigger("stop", changes={"report": f"Degradation after {rolled_back}: rolled back."})
        _count_cycle(ctx, campaign.id)
        return f"rolled back {rolled_back}"

    clc.trigger("analyze")
    targets = campaign_targets(ctx, campaign)
    decision = ctx.rules.evaluator.decide(facts_of(judgement), targets=targets)
    gaps = [g.model_dump(mode="json") for g in decision.gaps]
    missed = [g for g in decision.gaps if g.gap > 0]
    # should-tune (seed 0.2) decides alone unless the methodology says to go on until every
    # target is met (seed 0.1): then a missed target keeps the cycle tuning.
    keep_going = rulebook.methodology.continue_until == "targets_met" and bool(missed)
    tune = decision.should_tune or keep_going
    why = "; ".join(f.because for f in decision.fired) or "no should-tune rule fired"
    if tune and not decision.should_tune:
        why += "; targets still missed (" + ", ".join(_label(g) for g in missed) + "), methodology continue_until: targets_met"
    clc = CycleLifecycle(ctx.store.update(clc.record.model_copy(
        update={"gaps": gaps, "should_tune": tune})), save=ctx.store.update)
    ctx.store.append_log(journal.entry(
        "cycle", f"{campaign.id} cycle {number}: should tune = {decision.should_tune}, tune = {tune}",
        reason=why, campaign_id=campaign.id, fired=decision.fired, cycle_id=cycle.id,
        metrics=judgement.metrics, gaps=gaps))
    ctx.emit(EngineEvent("cycle", f"{campaign.name}: cycle {number} evaluated", campaign.id))

    if not tune:
        clc.trigger("finish", changes={
            "report": render_cycle_report(number, judgement, gaps, "No gap over its threshold: nothing to tune.")})
        _count_cycle(ctx, campaign.id)
        finish_if_met(ctx, campaign, active, decision_targets=targets)
        return "no gaps"

    clc.trigger("tune")
    from manager.experiments import run_experiment

    outcome = run_experiment(ctx, campaign, cycle, active, batch, judgement, gaps, targets, seed)
    cycle = ctx.store.get(Cycle, cycle.id)
    cycle.report = render_cycle_report(number, judgement, gaps, outcome)
    close_pass(ctx, ctx.store.update(cycle))
    _count_cycle(ctx, campaign.id)
    campaign = ctx.store.get(Campaign, campaign.id)
    if campaign.state == "active" and campaign.cycles_done >= rulebook.methodology.max_cycles_per_campaign:
        end_campaign(ctx, campaign, "complete", f"cycle limit {rulebook.methodology.max_cycles_per_campaign} reached")
    return outcome


def close_pass(ctx: Context, cycle: Cycle) -> None:
    """A pass ends in TUNING; once its experiment has concluded it returns to IDLE.

    A pass whose experiment awaits a human stays in TUNING until the answer comes.
    """
    if cycle.state != "TUNING":
        return
    if cycle.experiment_id and ctx.store.get(Experiment, cycle.experiment_id).state == "awaiting_approval":
        return
    CycleLifecycle(cycle, save=ctx.store.update).trigger("stop")


def _label(gap: Any) -> str:
    return gap.metric + (f"[{gap.segment}]" if getattr(gap, "segment", None) else "")


def _count_cycle(ctx: Context, campaign_id: str) -> None:
    campaign = ctx.store.get(Campaign, campaign_id)
    campaign.cycles_done += 1
    ctx.store.update(campaign)


def finish_if_met(ctx: Context, campaign: Campaign, active: ParamVersion, decision_targets: list[TargetSpec]) -> None:
    """Train says nothing to tune: confirm on the golden set before calling it done."""
    gold = golden(ctx, campaign, active, None)
    decision = ctx.rules.evaluator.decide(facts_of(gold), targets=decision_targets)
    unmet = [_label(g) for g in decision.gaps if g.gap > 0]
    if not unmet:
        end_campaign(ctx, campaign, "complete", "every target met on the golden set")
    elif not decision.should_tune:
        end_campaign(ctx, campaign, "complete",
                     f"no gap over its threshold on train or golden; still short of target: {', '.join(unmet)}")
    else:
        end_campaign(ctx, campaign, "complete",
                     f"train data shows nothing to tune but the golden set does ({', '.join(unmet)}); "
                     "a human should look at the emulator's coverage")


def end_campaign(ctx: Context, campaign: Campaign, trigger: str, reason: str) -> None:
    campaign = ctx.store.get(Campaign, campaign.id)
    lc = CampaignLifecycle(campaign, save=ctx.store.update)
    if not lc.can(trigger):
        return
    with ctx.store.transaction():
        lc.trigger(trigger, changes={"outcome": reason})
        ctx.store.append_log(journal.entry("campaign", f"{campaign.id} {lc.state}: {reason}",
                                           reason=reason, campaign_id=campaign.id))
    ctx.emit(EngineEvent("campaign", f"{campaign.name}: {lc.state} — {reason}", campaign.id))


def render_cycle_report(number: int, judgement: Judgement, gaps: list[dict[str, Any]], outcome: str) -> str:
    lines = [f"## Cycle {number}", "", "| metric | current | target | gap | over threshold |", "|---|---|---|---|---|"]
    for g in gaps:
        name = g["metric"] + (f" [{g['segment']}]" if g.get("segment") else "")
        lines.append(f"| {name} | {g['current']:.3f} | {g['target']:.3f} | {g['gap']:+.3f} | {'yes' if g['exceeds_threshold'] else 'no'} |")
    lines += ["", f"Outcome: {outcome}"]
    return "\n".join(lines)


def allowed_factors(ctx: Context, campaign: Campaign) -> list[FactorSpec]:
    factors = ctx.ports.call("tuner", "factors")
    out = []
    for f in factors:
        if campaign.allowed_factors and f.name not in campaign.allowed_factors:
            continue
        if f.name in campaign.frozen_factors:
            continue
        out.append(f)
    return out


def record_version(ctx: Context, version: ParamVersion, experiment_id: str | None) -> ParameterVersion:
    """Mirror the Tuner's active version in the store (the Manager never writes parameters).

    Call inside a transaction, together with the change-log entry that explains it.
    """
    for old in ctx.store.find(ParameterVersion, active=True):
        if old.version != version.id:
            ctx.store.update(old.model_copy(update={"active": False}))
    known = ctx.store.find(ParameterVersion, version=version.id)
    if known:
        return ctx.store.update(known[-1].model_copy(update={"active": True}))
    return ctx.store.insert(ParameterVersion(
        version=version.id, params=version.params, parent=version.parent, experiment_id=experiment_id, active=True))
