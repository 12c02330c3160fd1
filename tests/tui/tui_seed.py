"""A workspace with a store seeded directly: campaigns, cycles, experiments in every state
that matters to a person, tasks, metric snapshots and change-log entries, all with fixed
times, so that pictures of the TUI never depend on the clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from manager.workspace import rules_dir, store_dir, write_config
from rules import install_defaults
from store import Store
from store.models import (
    Approval,
    Campaign,
    ChangeLogEntry,
    Cycle,
    Experiment,
    Incident,
    MetricSnapshot,
    ParameterVersion,
    TargetSpec,
    Task,
)

T0 = datetime(2025, 11, 28, 9, 0, tzinfo=timezone.utc)
NOW = datetime(2025, 11, 28, 12, 0, tzinfo=timezone.utc)
APPROVER = "alice"
MARKUP_GOAL = "снизить hallucination_rate по персональной памяти < 3% [bold]now[/bold] \x1b[31mred"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def iso(minutes: float) -> str:
    return at(minutes).isoformat()


def metrics(h: float, p: float, r: float, c: float, lat: float, err: float) -> dict[str, float]:
    return {"hallucination_rate": h, "retrieval_precision": p, "retrieval_recall": r,
            "context_utilization": c, "latency_p95_s": lat, "error_rate": err}


# gaps as the rules compute them (DESIGN.md, `decide`): target - current, or current - target
GAPS = [
    {"metric": "hallucination_rate", "target": 0.05, "current": 0.081, "gap": 0.031, "threshold": 0.02,
     "exceeds_threshold": True, "priority": "critical"},
    {"metric": "retrieval_precision", "target": 0.8, "current": 0.74, "gap": 0.06, "threshold": 0.1,
     "exceeds_threshold": False, "priority": "primary"},
    {"metric": "retrieval_recall", "target": 0.7, "current": 0.55, "gap": 0.15, "threshold": 0.1,
     "exceeds_threshold": True, "priority": "primary"},
    {"metric": "context_utilization", "target": 0.9, "current": 0.86, "gap": 0.04, "threshold": 0.05,
     "exceeds_threshold": False, "priority": "primary"},
    {"metric": "latency_p95_s", "target": 5.0, "current": 2.4, "gap": -2.6, "threshold": 1.0,
     "exceeds_threshold": False, "priority": "secondary"},
    {"metric": "error_rate", "target": 0.01, "current": 0.004, "gap": -0.006, "threshold": 0.005,
     "exceeds_threshold": False, "priority": "secondary"},
]

POLICY_NEEDS_APPROVAL = {
    "allowed": True, "needs_approval": True,
    "reasons": ["context_budget may change only after a reviewer approves (level approval)"],
    "fired": [{"rule": "needs-approval", "because": "context_budget is at autonomy level approval",
               "facts": {"parameter": "context_budget", "level": "approval"}}],
}

VERDICT = {
    "outcome": "winner",
    "reason": "recall +6.0 pp with its 95% interval above zero; no metric worse",
    "confidence": 0.95,
    "deltas": [
        {"metric": "retrieval_recall", "baseline": 0.55, "variant": 0.61, "delta": 0.06, "ci_low": 0.021,
         "ci_high": 0.099, "better": True},
        {"metric": "retrieval_precision", "baseline": 0.74, "variant": 0.735, "delta": -0.005, "ci_low": -0.03,
         "ci_high": 0.02, "better": None},
        {"metric": "hallucination_rate", "baseline": 0.081, "variant": 0.07, "delta": -0.011, "ci_low": -0.025,
         "ci_high": 0.003, "better": True},
        {"metric": "latency_p95_s", "baseline": 2.4, "variant": 2.9, "delta": 0.5, "ci_low": 0.3, "ci_high": 0.7,
         "better": False},
    ],
}

GOLDEN = {
    "apply": True,
    "reason": "golden set validation passed",
    "delta": {"precision_delta": 0.004, "recall_delta": 0.031, "hallucination_delta": -0.012,
              "context_util_delta": 0.01},
    "golden_baseline": metrics(0.072, 0.76, 0.58, 0.87, 2.3, 0.003),
    "golden_variant": metrics(0.06, 0.764, 0.611, 0.88, 2.8, 0.003),
    "degradation": {"rollback": False, "metrics": []},
    "fired": [{"rule": "golden-improved", "because": "recall_delta 0.031 > 0.02", "facts": {"recall_delta": 0.031}}],
}


def history(*moves: tuple[str, str, str, float]) -> list[dict]:
    return [{"from": a, "to": b, "trigger": t, "at": iso(m)} for a, b, t, m in moves]


def seed_workspace(root: Path) -> Path:
    """A workspace at ``root`` with the default rules and a seeded store; returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    write_config(root)
    install_defaults(rules_dir(root))
    store = Store.open(store_dir(root))
    with store.transaction():
        seed_store(store)
    store.close()
    return root


def seed_store(store: Store) -> None:
    latency = store.insert(Campaign(
        name="Latency under 4 s", goal_text="keep latency p95 under 4 s while recall climbs",
        targets=[TargetSpec(metric="latency_p95_s", direction="lower_is_better", target=4.0, threshold=1.0,
                            priority="primary"),
                 TargetSpec(metric="retrieval_recall", direction="higher_is_better", target=0.7, threshold=0.1,
                            priority="primary")],
        state="active", created_by="bob", cycles_done=0))
    personal = store.insert(Campaign(
        name="Personal memory [bold]honesty[/bold]", goal_text=MARKUP_GOAL,
        targets=[TargetSpec(metric="hallucination_rate", direction="lower_is_better", target=0.03, threshold=0.02,
                            priority="critical", segment="personal_facts")],
        state="paused", created_by="alice", cycles_done=1))
    main = store.insert(Campaign(
        name="Target metrics", goal_text="Reach the seed's target metrics", state="active", autonomy="auto",
        created_by="demo", cycles_done=3,
        plan=[{"title": "Retrieve more memories", "factor": "top_k", "hypothesis": "recall is short"}]))
    done = store.insert(Campaign(
        name="Recall on preferences", goal_text="увеличить recall по preferences на +10%", state="completed",
        created_by="bob", cycles_done=2, outcome="every target met on the golden set"))

    store.insert(ParameterVersion(version="v1", params={"top_k": 5, "score_cutoff": 0.3, "context_budget": 800}))
    store.insert(ParameterVersion(version="v2", params={"top_k": 6, "score_cutoff": 0.3, "context_budget": 800},
                                  parent="v1", active=True))

    cycles = []
    for n, state in ((1, "IDLE"), (2, "IDLE"), (3, "TUNING")):
        cycles.append(store.insert(Cycle(campaign_id=main.id, number=n, state=state, gaps=GAPS, should_tune=True,
                                         batch_id=f"batch-{n}")))
    store.insert(Cycle(campaign_id=personal.id, number=1, state="IDLE"))
    store.insert(Cycle(campaign_id=latency.id, number=1, state="EMULATING"))

    # a trend: recall climbs, hallucination falls, one bad batch in the middle
    trend = [(0.11, 0.70, 0.45, 0.80, 2.0, 0.004), (0.10, 0.71, 0.48, 0.82, 2.1, 0.004),
             (0.12, 0.69, 0.46, 0.81, 2.2, 0.006), (0.095, 0.72, 0.50, 0.84, 2.2, 0.005),
             (0.09, 0.73, 0.52, 0.85, 2.3, 0.004), (0.081, 0.74, 0.55, 0.86, 2.4, 0.004)]
    for i, values in enumerate(trend):
        store.insert(MetricSnapshot(campaign_id=main.id, cycle_id=cycles[min(i, 2)].id, source="train",
                                    variant="baseline", version="v2", metrics=metrics(*values), dialogues=30,
                                    segments={"personal_facts": {"hallucination_rate": values[0] + 0.02},
                                              "preferences": {"retrieval_recall": values[2] - 0.05}}))

    applied = store.insert(Experiment(
        campaign_id=main.id, cycle_id=cycles[0].id, title="top_k: 5 → 6", factor="top_k", step=1,
        baseline_version="v1", variant_version="v2", applied_version="v2",
        variant_params={"top_k": 6, "score_cutoff": 0.3, "context_budget": 800},
        hypothesis="recall is 15 pp short; retrieving one more memory per question should raise it",
        state="applied", verdict=VERDICT, golden_validation=GOLDEN,
        policy={"allowed": True, "needs_approval": False, "reasons": [], "fired": []},
        fired=[{"rule": "golden-improved", "because": "recall_delta 0.031 > 0.02"}],
        history=history(("planned", "running", "start", 12), ("running", "completed", "complete", 14),
                        ("completed", "analyzed", "analyze", 15), ("analyzed", "applied", "apply", 16))))
    store.insert(Experiment(
        campaign_id=main.id, cycle_id=cycles[1].id, title="score_cutoff: 0.3 → 0.4", factor="score_cutoff", step=0.1,
        baseline_version="v2", variant_params={"top_k": 6, "score_cutoff": 0.4, "context_budget": 800},
        hypothesis="hallucination is over its threshold; a higher cut-off drops weak memories",
        state="rejected", verdict={**VERDICT, "outcome": "loser", "reason": "recall fell 8 pp"},
        history=history(("planned", "running", "start", 30), ("running", "completed", "complete", 32),
                        ("completed", "analyzed", "analyze", 33), ("analyzed", "rejected", "reject", 33))))
    awaiting = store.insert(Experiment(
        campaign_id=main.id, cycle_id=cycles[2].id, title="context_budget: 800 → 1200", factor="context_budget",
        step=400, baseline_version="v2", variant_version="v3",
        variant_params={"top_k": 6, "score_cutoff": 0.3, "context_budget": 1200},
        hypothesis="recall is short and context utilization is high: a larger budget lets more memories in",
        design="Widen the context", success_criteria=["retrieval_recall up", "hallucination_rate down"],
        state="awaiting_approval", verdict=VERDICT, golden_validation=GOLDEN, policy=POLICY_NEEDS_APPROVAL,
        fired=POLICY_NEEDS_APPROVAL["fired"] + GOLDEN["fired"], proposal_hash="3f2a9c0d1e4b5a67",
        history=history(("planned", "running", "start", 60), ("running", "completed", "complete", 62),
                        ("completed", "analyzed", "analyze", 63),
                        ("analyzed", "awaiting_approval", "request_approval", 64))))
    rolled = store.insert(Experiment(
        campaign_id=personal.id, title="abstain_threshold: 0.2 → 0.3", factor="abstain_threshold", step=0.1,
        baseline_version="v1", variant_version="v1b", applied_version="v1b",
        hypothesis="abstaining more often should cut hallucination on personal facts",
        state="rolled_back", verdict=VERDICT, golden_validation=GOLDEN,
        history=history(("planned", "running", "start", 40), ("running", "completed", "complete", 41),
                        ("completed", "analyzed", "analyze", 42), ("analyzed", "applied", "apply", 43),
                        ("applied", "rolled_back", "rollback", 50))))
    store.insert(Incident(campaign_id=personal.id, experiment_id=rolled.id, metrics=["retrieval_recall"],
                          reason="worse than before the change past the rollback bound: retrieval_recall"))
    store.insert(Approval(experiment_id=applied.id, proposal_hash="0000", decision="approve", approver="carol"))

    for title, kind, state, done_, total, cid, error in (
            ("Emulation batch cyc-000001", "emulation", "completed", 30, 30, main.id, None),
            ("Evaluation of batch cyc-000001", "evaluation", "completed", 0, 0, main.id, None),
            ("Golden validation of v3", "validation", "completed", 0, 0, main.id, None),
            ("Emulation batch cyc-000004", "emulation", "failed", 7, 30, personal.id,
             "emulator.run_batch: no answer within 120 s"),
            ("Emulation batch cyc-000005", "emulation", "running", 12, 30, latency.id, None)):
        store.insert(Task(kind=kind, title=title, state=state, done=done_, total=total, campaign_id=cid,
                          error=error))

    entries = [
        ("engine", "engine started", "", "auto", "manager", None, None, []),
        ("campaign", f"{main.id} started: Target metrics", "Reach the seed's target metrics", "auto", "demo",
         main.id, None, []),
        ("cycle", f"{main.id} cycle 1: should tune = True", "mean primary gap 0.083 > 0.05", "auto", "manager",
         main.id, None, [{"rule": "mean-primary-gap", "because": "mean primary gap 0.083 > 0.05",
                          "facts": {"mean_gap": 0.083}},
                         {"rule": "critical-gap", "because": "hallucination_rate gap 0.031 > threshold 0.02",
                          "facts": {"metric": "hallucination_rate", "gap": 0.031}}]),
        ("experiment", f"{applied.id} planned: top_k: 5 → 6", "recall is 15 pp short", "auto", "manager",
         main.id, applied.id, []),
        ("golden", f"{applied.id} golden validation: apply", "golden set validation passed", "auto", "manager",
         main.id, applied.id, GOLDEN["fired"]),
        ("change", f"{applied.id} applied: top_k: 5 → 6 (v1 → v2)", "golden set validation passed", "auto",
         "manager", main.id, applied.id, GOLDEN["fired"]),
        ("campaign", f"{personal.id} started: Personal memory [bold]honesty[/bold]", MARKUP_GOAL, "manual",
         "alice", personal.id, None, []),
        ("change", f"{rolled.id} applied: abstain_threshold: 0.2 → 0.3 (v1 → v1b)", "golden set validation passed",
         "auto", "manager", personal.id, rolled.id, []),
        ("rollback", f"{rolled.id} rolled back to v1: worse than before the change past the rollback bound: "
                     "retrieval_recall", "retrieval_recall fell 12% against the previous version", "auto",
         "manager", personal.id, rolled.id,
         [{"rule": "metric-worsened", "because": "retrieval_recall 0.48 is 12% below 0.55 (bound 10%)",
           "facts": {"metric": "retrieval_recall", "worsening": 0.12}}]),
        ("campaign", f"{personal.id} paused by alice", "[bold]not now[/bold]: waiting for the new persona set",
         "manual", "alice", personal.id, None, []),
        ("rules", "rule files reloaded", "", "manual", "bob", None, None, []),
        ("experiment", f"{awaiting.id} planned: context_budget: 800 → 1200", "recall is short", "auto", "manager",
         main.id, awaiting.id, POLICY_NEEDS_APPROVAL["fired"]),
        ("golden", f"{awaiting.id} golden validation: apply", "golden set validation passed", "auto", "manager",
         main.id, awaiting.id, GOLDEN["fired"]),
        ("approval", f"{awaiting.id} awaits approval", POLICY_NEEDS_APPROVAL["reasons"][0], "auto", "manager",
         main.id, awaiting.id, POLICY_NEEDS_APPROVAL["fired"]),
        ("campaign", f"{latency.id} started: Latency under 4 s", "keep latency p95 under 4 s while recall climbs",
         "manual", "bob", latency.id, None, []),
    ]
    for i, (kind, summary, reason, initiator, actor, cid, eid, fired) in enumerate(entries):
        store.append_log(ChangeLogEntry(at=at(5 * i), kind=kind, summary=summary, reason=reason,
                                        initiator=initiator, actor=actor, campaign_id=cid, experiment_id=eid,
                                        fired=fired, data={"fingerprint": "d41d8cd98f00"} if kind == "rules" else {}))
    del done


def targets_workspace(root: Path, level: str) -> Path:
    """A real demo workspace with one campaign for the seed's targets, every parameter at
    autonomy ``level`` (``auto`` or ``approval``); no cycle has run yet."""
    from manager.campaigns import create_campaign
    from manager.demo import ensure_workspace
    from manager.engine import Engine

    other = {"auto": "approval", "approval": "auto"}[level]
    ensure_workspace(root, demo_campaign=False)
    autonomy = rules_dir(root) / "autonomy.yaml"
    autonomy.write_text(autonomy.read_text(encoding="utf-8").replace(f"level: {other}", f"level: {level}"),
                        encoding="utf-8")
    engine = Engine(root)
    with engine.store.raw.engine_lock():
        create_campaign(engine.ctx, name="Target metrics", goal_text="Reach the seed's target metrics",
                        created_by="test", initiator="auto")
    engine.ctx.ports.close()
    return root


def busy_workspace(root: Path) -> Path:
    """A real demo workspace whose engine never waits for a person: every parameter at ``auto``.

    Its campaign keeps the engine busy for many cycles, so an observer always has progress to see.
    """
    return targets_workspace(root, "auto")


def awaiting_workspace(root: Path, max_cycles: int = 12) -> tuple[Path, str]:
    """A real workspace whose engine ran until a change awaits a reviewer; returns it and the experiment id.

    Every parameter is put at autonomy level ``approval`` so the first change that passes
    the golden set waits for a person instead of being applied.
    """
    import asyncio

    from manager.engine import Engine

    targets_workspace(root, "approval")
    engine = Engine(root)
    asyncio.run(engine.run(until_idle=True, max_cycles=max_cycles))
    waiting = engine.store.find(Experiment, state="awaiting_approval")
    if not waiting:
        states = [(e.id, e.state, e.title) for e in engine.store.all(Experiment)]
        raise RuntimeError(f"no change awaits approval after {max_cycles} cycles: {states}")
    return root, waiting[0].id
