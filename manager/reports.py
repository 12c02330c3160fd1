"""Reports (seed 1.3 p.5) and the Manager's own quality metrics (seed 1.6)."""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from manager.todo import _fmt
from store.models import Campaign, Cycle, Experiment, Incident, MetricSnapshot

DECIDED = {"applied", "rejected", "awaiting_approval", "rolled_back"}
ACTIVE_HOLD = ("running", "completed", "analyzed", "awaiting_approval", "applied")


def _when(exp: Experiment, to_state: str) -> datetime | None:
    for step in exp.history:
        if step.get("to") == to_state:
            at = step.get("at")
            return datetime.fromisoformat(at) if isinstance(at, str) else at
    return None


def _hold_interval(exp: Experiment) -> tuple[datetime, datetime | None] | None:
    """When an experiment held its parameter: from start to its end (None: still holds)."""
    start = _when(exp, "running")
    if start is None:
        return None
    end = None
    for step in exp.history:
        if step.get("to") in ("rejected", "failed", "rolled_back", "applied"):
            at = step.get("at")
            end = datetime.fromisoformat(at) if isinstance(at, str) else at
    return start, end


def manager_metrics(store: Any) -> dict[str, Any]:
    """Velocity, coverage, consistency and safety of the Manager itself."""
    campaigns = store.all(Campaign)
    experiments = store.all(Experiment)
    by_campaign: dict[str, list[Experiment]] = {}
    for exp in experiments:
        by_campaign.setdefault(exp.campaign_id, []).append(exp)

    to_first = [
        (min(e.created_at for e in by_campaign[c.id]) - c.created_at).total_seconds()
        for c in campaigns if by_campaign.get(c.id)
    ]
    to_decision = []
    for exp in experiments:
        done, decided = _when(exp, "completed"), None
        for state in ("awaiting_approval", "applied", "rejected"):
            decided = decided or _when(exp, state)
        if done and decided:
            to_decision.append((decided - done).total_seconds())

    live = [c for c in campaigns if c.state in ("active", "paused", "completed")]
    covered = [c for c in live if any(_when(e, "running") for e in by_campaign.get(c.id, []))]

    conflicts = 0
    holds = [(e, _hold_interval(e)) for e in experiments if e.factor]
    holds = [(e, h) for e, h in holds if h]
    for i, (a, (a0, a1)) in enumerate(holds):
        for b, (b0, b1) in holds[i + 1:]:
            if a.factor == b.factor and a0 < (b1 or datetime.max.replace(tzinfo=a0.tzinfo)) and b0 < (
                a1 or datetime.max.replace(tzinfo=a0.tzinfo)
            ) and not (a.state == "applied" and b.state == "applied"):
                conflicts += 1

    applied = [e for e in experiments if e.state in ("applied", "rolled_back") and e.applied_version]
    outside = [e.id for e in applied if not (e.policy or {}).get("allowed", False)
               or not (e.golden_validation or {}).get("apply", False)]
    incidents = store.all(Incident)
    return {
        "velocity": {
            "goal_to_first_experiment_s": statistics.median(to_first) if to_first else None,
            "completed_to_decision_s": statistics.median(to_decision) if to_decision else None,
        },
        "coverage": {"campaigns": len(live), "with_experiment": len(covered),
                     "share": (len(covered) / len(live)) if live else None},
        "consistency": {"conflicting_changes": conflicts},
        "safety": {"changes_outside_policy": outside, "auto_rollbacks": len(incidents),
                   "applied_changes": len(applied)},
    }


def campaign_report(store: Any, campaign: Campaign, targets: list[Any]) -> str:
    """Markdown: metrics against targets over time, experiments, decisions."""
    cycles = store.find(Cycle, campaign_id=campaign.id)
    experiments = store.find(Experiment, campaign_id=campaign.id)
    snaps = [s for s in store.find(MetricSnapshot, campaign_id=campaign.id, source="train") if s.variant != "variant"]
    out = [f"# Campaign {campaign.id}: {campaign.name}", "",
           f"- Goal: {campaign.goal_text}", f"- State: {campaign.state}" + (f" — {campaign.outcome}" if campaign.outcome else ""),
           f"- Cycles: {campaign.cycles_done}", f"- Autonomy: {campaign.autonomy}", ""]
    out += ["## Metrics against targets over time", ""]
    header = "| cycle | version | " + " | ".join(t.metric + (f"[{t.segment}]" if t.segment else "") for t in targets) + " |"
    out += [header, "|" + "---|" * (len(targets) + 2)]
    cycle_no = {c.id: c.number for c in cycles}
    for s in snaps:
        cells = []
        for t in targets:
            v = (s.segments.get(t.segment, {}) if t.segment else s.metrics).get(t.metric)
            ok = v is not None and (v < t.target if t.direction == "lower_is_better" else v > t.target)
            cells.append(f"{_fmt(t.metric, v)}{'' if ok else ' ✗'}")
        out.append(f"| {cycle_no.get(s.cycle_id, '-')} | {s.version} | " + " | ".join(cells) + " |")
    out += ["", "Targets: " + ", ".join(
        f"{t.metric}{'[' + t.segment + ']' if t.segment else ''} {'<' if t.direction == 'lower_is_better' else '>'} "
        f"{_fmt(t.metric, t.target)}" for t in targets), ""]
    out += ["## Experiments", "", "| id | change | verdict | golden | state |", "|---|---|---|---|---|"]
    for e in experiments:
        out.append(f"| {e.id} | {e.title} | {(e.verdict or {}).get('outcome', '-')} | "
                   f"{(e.golden_validation or {}).get('reason', '-')} | {e.state} |")
    out += ["", "## Cycle reports", ""] + [c.report for c in cycles if c.report]
    return "\n".join(out)


def full_report(store: Any, rulebook: Any, *, campaign_id: str | None = None,
                since: datetime | None = None, until: datetime | None = None) -> str:
    campaigns = [store.get(Campaign, campaign_id)] if campaign_id else store.all(Campaign)
    parts = ["# maas-manager report", ""]
    if since or until:
        parts.append(f"Period: {since or '…'} – {until or '…'}\n")
    for c in campaigns:
        if since and c.updated_at < since or until and c.created_at > until:
            continue
        parts.append(campaign_report(store, c, list(c.targets) or list(rulebook.targets)))
        parts.append("")
    decisions = store.log(since=since, until=until, campaign_id=campaign_id)
    parts += ["## Decisions", "", "| seq | at | kind | initiator | summary |", "|---|---|---|---|---|"]
    for e in decisions:
        if e.kind in ("change", "rollback", "approval", "golden", "rules", "campaign", "incident"):
            parts.append(f"| {e.seq} | {e.at:%Y-%m-%d %H:%M:%S} | {e.kind} | {e.initiator}:{e.actor} | {e.summary} |")
    m = manager_metrics(store)
    parts += ["", "## The Manager's own metrics (seed 1.6)", "",
              f"- Velocity: goal → first experiment {_secs(m['velocity']['goal_to_first_experiment_s'])}; "
              f"experiment completed → decision {_secs(m['velocity']['completed_to_decision_s'])}",
              f"- Coverage: {m['coverage']['with_experiment']}/{m['coverage']['campaigns']} campaigns have run an experiment",
              f"- Consistency: {m['consistency']['conflicting_changes']} conflicting changes of one parameter",
              f"- Safety: {len(m['safety']['changes_outside_policy'])} changes outside policy; "
              f"{m['safety']['auto_rollbacks']} auto-rollbacks of {m['safety']['applied_changes']} applied changes"]
    return "\n".join(parts) + "\n"


def _secs(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} s"
