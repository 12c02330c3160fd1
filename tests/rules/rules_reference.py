"""A small reference interpreter of the rule files (test code only).

It reads the validated rule book and evaluates the conditions directly in Python with
exact fractions, following the documented semantics (numbers read to 9 places, derived
facts rounded half-to-even to 9 places and clamped at ±1e9). It shares no code with
the engine beyond the pydantic models of the rule files.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from rules.schema import AllOf, AnyOf, Comparison, TargetRef

PLACES = 10**9
CLAMP = Fraction(10**9)


def q(x: Fraction) -> Fraction:
    return Fraction(round(x * PLACES), PLACES)  # round() of a Fraction is half-to-even


def read(value: Any) -> Fraction:
    if isinstance(value, float):
        return q(Fraction(repr(value)))
    return q(Fraction(value))


def clamp(x: Fraction) -> Fraction:
    return max(-CLAMP, min(CLAMP, x))


def compare(op: str, left: Any, right: Any) -> bool:
    return {
        "eq": lambda: left == right,
        "ne": lambda: left != right,
        "gt": lambda: left > right,
        "gte": lambda: left >= right,
        "lt": lambda: left < right,
        "lte": lambda: left <= right,
    }[op]()


def holds(cond: Any, fact: dict[str, Any], target: Any = None) -> bool:
    if isinstance(cond, AllOf):
        return all(holds(c, fact, target) for c in cond.all)
    if isinstance(cond, AnyOf):
        return any(holds(c, fact, target) for c in cond.any)
    assert isinstance(cond, Comparison)
    op, value = cond.operator
    if isinstance(value, TargetRef):
        right = read(getattr(target, value.target))
    elif isinstance(value, (bool, str)):
        right = value
    else:
        right = read(value)
    return compare(op, fact[cond.field], right)


def decide(book, facts: dict[str, Any], targets=None) -> dict[str, Any]:
    """{gaps, should_tune, validation, degradation, fired: {(rule, key)}}."""
    targets = book.targets if targets is None else targets
    fired: set[tuple[str, Any]] = set()
    gaps = []
    for t in targets:
        source = facts["metrics"] if t.segment is None else facts["segments"][t.segment]
        current = read(source[t.metric])
        goal, threshold = read(t.target), read(t.threshold)
        gap = clamp(q(goal - current if t.direction == "higher_is_better" else current - goal))
        fact = {"metric": t.metric, "segment": t.segment or "", "priority": t.priority, "direction": t.direction,
                "target": goal, "current": current, "gap": gap, "threshold": threshold}
        key = ("gap", t.metric, t.segment or "")
        if gap > threshold:
            fired.add(("gap-exceeds-threshold", key))
        gaps.append((fact, t, key))
    means = []
    for priority in ("critical", "primary", "secondary"):
        mine = [f["gap"] for f, _, _ in gaps if f["priority"] == priority]
        if mine:
            means.append({"priority": priority, "mean": q(sum(mine, Fraction(0)) / len(mine)), "count": Fraction(len(mine))})
    should_tune = False
    for rule in book.should_tune:
        if rule.about == "gap":
            cases = [(f, t, key) for f, t, key in gaps]
        else:
            cases = [(m, None, ("mean_gap", m["priority"])) for m in means]
        for fact, target, key in cases:
            if holds(rule.when, fact, target):
                fired.add((rule.rule, key))
                should_tune = True
    validation = None
    if facts.get("golden_delta") is not None:
        golden = {name: read(facts["golden_delta"][name]) for name in book.golden_deltas}
        gv = book.golden_validation
        reason = None
        for rule in gv.reject:
            if holds(rule.when, golden):
                fired.add((rule.rule, ("golden",)))
                reason = reason or rule.reason
        improved = False
        for rule in gv.improved:
            if holds(rule.when, golden):
                fired.add((rule.rule, ("golden",)))
                improved = True
        if reason is not None:
            validation = {"apply": False, "reason": reason}
        elif improved:
            validation = {"apply": True, "reason": gv.apply_reason}
        else:
            validation = {"apply": False, "reason": gv.no_improvement_reason}
    degradation = None
    if facts.get("baseline") is not None:
        worse_metrics = []
        for name, value in facts["baseline"].items():
            base, current = read(value), read(facts["metrics"][name])
            better_up = book.metrics[name].direction == "higher_is_better"
            worse = base - current if better_up else current - base
            if base != 0:
                relative = clamp(q(worse / abs(base)))
            else:
                relative = CLAMP if worse > 0 else -CLAMP if worse < 0 else Fraction(0)
            bound = read(book.degradation.bounds.get(name, book.degradation.default_bound))
            if relative > bound:
                worse_metrics.append(name)
                fired.add(("metric-worsened", ("baseline_change", name)))
        degradation = {"rollback": bool(worse_metrics), "metrics": worse_metrics}
    return {
        "gaps": [(f["metric"], f["segment"], f["gap"], f["gap"] > f["threshold"]) for f, _, _ in gaps],
        "should_tune": should_tune,
        "validation": validation,
        "degradation": degradation,
        "fired": fired,
    }


def check_change(book, facts: dict[str, Any]) -> dict[str, Any]:
    autonomy, method = book.autonomy, book.methodology
    policy = autonomy.parameters.get(facts["parameter"])
    deny: set[str] = set()
    approval: set[str] = set()
    current, proposed = read(facts["current"]), read(facts["proposed"])
    if policy is None:
        deny.add("unknown-parameter")
    else:
        if policy.level == "never":
            deny.add("never-change")
        if policy.level == "approval":
            approval.add("needs-approval")
        if proposed < read(policy.minimum):
            deny.add("below-minimum")
        if proposed > read(policy.maximum):
            deny.add("above-maximum")
        if abs(proposed - current) > read(policy.max_step):
            deny.add("step-too-large")
    if facts["frozen"]:
        deny.add("frozen-factor")
    if autonomy.one_running_experiment_per_parameter and facts["running_experiments_on_parameter"] >= 1:
        deny.add("parameter-busy")
    if facts["running_experiments"] >= autonomy.max_parallel_experiments:
        deny.add("too-many-experiments")
    if method.one_factor_per_cycle and facts["factors_changed_this_cycle"] >= 1:
        deny.add("one-factor-per-cycle")
    if facts["experiment_cycles"] >= method.max_cycles_per_experiment:
        deny.add("max-cycles-per-experiment")
    if facts["campaign_autonomy"] in ("approval", "manual"):
        approval.add("campaign-needs-approval")
    return {"allowed": not deny, "needs_approval": bool(approval), "fired": deny | approval}


def check_approval(book, facts: dict[str, Any]) -> dict[str, Any]:
    same = facts["approver"].strip().casefold() == facts["proposer"].strip().casefold()
    fired = {"four-eyes"} if book.autonomy.four_eyes and same else set()
    return {"allowed": not fired, "needs_approval": False, "fired": fired}
