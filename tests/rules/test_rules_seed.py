"""The seed's answers (DESIGN.md "Decisions are rules", seed 0.2 / 0.4 / 0.1) from the packaged rules."""

from __future__ import annotations

import pytest

from rules_samples import MET, NO_CHANGE, SEED_METRICS, change
from rules import Evaluator


def test_design_example_gaps_and_should_tune(evaluator: Evaluator) -> None:
    decision = evaluator.decide({"metrics": SEED_METRICS})
    gaps = {g.metric: g for g in decision.gaps}
    hallucination = gaps["hallucination_rate"].model_dump(mode="json")
    # DESIGN.md: 0.07 against < 0.05 is a gap of exactly 0.02, which does not exceed 0.02
    assert hallucination == {"metric": "hallucination_rate", "target": 0.05, "current": 0.07, "gap": 0.02,
                             "threshold": 0.02, "exceeds_threshold": False, "priority": "critical"}
    assert gaps["retrieval_precision"].gap == pytest.approx(0.08)
    assert gaps["latency_p95_s"].gap == pytest.approx(-1.8)  # lower is better: current - target
    assert decision.should_tune is True
    assert [(f.rule, f.because) for f in decision.fired] == [("mean-primary-gap", "mean primary gap 0.06 > 0.05")]
    assert decision.fired[0].facts == {"priority": "primary", "mean": 0.06, "count": 3}
    assert decision.validation is None and decision.degradation is None


@pytest.mark.parametrize(("hallucination", "tune"), [(0.071, True), (0.07, False), (0.05, False)])
def test_critical_gap_must_exceed_its_threshold(evaluator: Evaluator, hallucination: float, tune: bool) -> None:
    decision = evaluator.decide({"metrics": {**MET, "hallucination_rate": hallucination}})
    assert decision.should_tune is tune
    assert ("critical-gap" in {f.rule for f in decision.fired}) is tune


@pytest.mark.parametrize(("precision", "tune"), [(0.649, True), (0.65, False)])
def test_mean_primary_gap_above_five_points(evaluator: Evaluator, precision: float, tune: bool) -> None:
    # recall and context utilization exactly on target: mean = (0.8 - precision) / 3
    metrics = {**MET, "retrieval_precision": precision, "retrieval_recall": 0.70, "context_utilization": 0.90}
    assert evaluator.decide({"metrics": metrics}).should_tune is tune


GOLDEN_CASES = [
    ({"hallucination_delta": 0.051, "precision_delta": 0.1}, False, "hallucination increased on golden set"),
    ({"hallucination_delta": 0.05, "precision_delta": 0.03}, True, "golden set validation passed"),
    ({"precision_delta": -0.051, "recall_delta": 0.1}, False, "primary metrics degraded on golden set"),
    ({"recall_delta": -0.06}, False, "primary metrics degraded on golden set"),
    ({"precision_delta": -0.05, "recall_delta": 0.021}, True, "golden set validation passed"),
    ({"precision_delta": 0.02, "recall_delta": 0.02, "context_util_delta": 0.02}, False, "no improvement on golden set"),
    ({"hallucination_delta": -0.01}, False, "no improvement on golden set"),
    ({"hallucination_delta": -0.011}, True, "golden set validation passed"),
    ({"context_util_delta": 0.021}, True, "golden set validation passed"),
    ({}, False, "no improvement on golden set"),
]


@pytest.mark.parametrize(("delta", "apply", "reason"), GOLDEN_CASES)
def test_golden_validation_seed_0_4(evaluator: Evaluator, delta: dict, apply: bool, reason: str) -> None:
    decision = evaluator.decide({"metrics": MET, "golden_delta": {**NO_CHANGE, **delta}})
    assert decision.validation is not None
    assert (decision.validation.apply, decision.validation.reason) == (apply, reason)


@pytest.mark.parametrize(("metric", "baseline", "current", "rollback"), [
    ("retrieval_precision", 0.80, 0.72, False),    # exactly 10% worse: not more than the bound
    ("retrieval_precision", 0.80, 0.7199, True),
    ("hallucination_rate", 0.03, 0.033, False),    # lower is better: rising is worse
    ("hallucination_rate", 0.03, 0.0331, True),
    ("hallucination_rate", 0.03, 0.001, False),    # falling is better
    ("latency_p95_s", 2.0, 2.21, True),
    ("error_rate", 0.0, 0.001, True),              # any worsening of a zero baseline
    ("error_rate", 0.0, 0.0, False),
])
def test_rollback_when_worse_by_more_than_ten_percent(
    evaluator: Evaluator, metric: str, baseline: float, current: float, rollback: bool
) -> None:
    decision = evaluator.decide({"metrics": {**MET, metric: current}, "baseline": {metric: baseline}})
    assert decision.degradation is not None
    assert decision.degradation.model_dump() == {"rollback": rollback, "metrics": [metric] if rollback else []}
    if rollback:
        (fired,) = [f for f in decision.fired if f.rule == "metric-worsened"]
        assert fired.because.startswith(f"{metric} relative worsening ")
        assert fired.because.endswith("> bound 0.1")


def test_decision_lists_every_rule_that_fired_with_its_facts(evaluator: Evaluator) -> None:
    decision = evaluator.decide({
        "metrics": {**SEED_METRICS, "hallucination_rate": 0.09},
        "golden_delta": {**NO_CHANGE, "recall_delta": -0.07},
        "baseline": {"retrieval_precision": 0.9},
    })
    by_rule = {f.rule: f for f in decision.fired}
    assert set(by_rule) == {"gap-exceeds-threshold", "critical-gap", "mean-primary-gap",
                            "golden-primary-fell", "metric-worsened"}
    assert by_rule["critical-gap"].because == "hallucination_rate priority = critical and gap 0.04 > threshold 0.02"
    assert by_rule["gap-exceeds-threshold"].because == "hallucination_rate gap 0.04 > threshold 0.02"
    assert by_rule["golden-primary-fell"].because == "golden set recall_delta -0.07 < -0.05"
    assert by_rule["critical-gap"].facts["current"] == 0.09
    assert decision.validation.reason == "primary metrics degraded on golden set"


def test_policy_defaults(evaluator: Evaluator) -> None:
    assert evaluator.check_change(change()).model_dump() == {
        "allowed": True, "needs_approval": False, "reasons": [], "fired": []}
    budget = evaluator.check_change(change(parameter="context_budget", current=1000, proposed=1400))
    assert (budget.allowed, budget.needs_approval) == (True, True)
    big = evaluator.check_change(change(parameter="context_budget", current=1000, proposed=1401))
    assert big.allowed is False and big.reasons[0] == "context_budget step 401 > max step 400"
    assert evaluator.check_approval({"approver": "ann", "proposer": "bob"}).allowed is True
    own = evaluator.check_approval({"approver": " ANN", "proposer": "ann"})
    assert own.allowed is False and [f.rule for f in own.fired] == ["four-eyes"]
