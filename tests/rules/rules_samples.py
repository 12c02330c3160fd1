"""Fact sets the rules tests share: the DESIGN.md example, all targets met, a proposed change."""

from __future__ import annotations

from typing import Any

SEED_METRICS = {
    "hallucination_rate": 0.07,
    "retrieval_precision": 0.72,
    "retrieval_recall": 0.65,
    "context_utilization": 0.85,
    "latency_p95_s": 3.2,
    "error_rate": 0.004,
}
MET = {  # every target met
    "hallucination_rate": 0.03,
    "retrieval_precision": 0.85,
    "retrieval_recall": 0.75,
    "context_utilization": 0.95,
    "latency_p95_s": 2.0,
    "error_rate": 0.001,
}
NO_CHANGE = {"precision_delta": 0.0, "recall_delta": 0.0, "hallucination_delta": 0.0, "context_util_delta": 0.0}


def change(**overrides: Any) -> dict[str, Any]:
    facts = {
        "parameter": "top_k", "current": 5, "proposed": 6, "campaign_autonomy": "auto", "frozen": False,
        "running_experiments_on_parameter": 0, "running_experiments": 0, "factors_changed_this_cycle": 0,
        "experiment_cycles": 0,
    }
    facts.update(overrides)
    return facts
