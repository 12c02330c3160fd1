"""The seed's targets (0.2) as the default rule files state them, and the gap entries the
Manager hands the Teacher's ``propose``: shared by the maas tests. Tests only."""

from __future__ import annotations

from typing import Any

TARGETS = {  # metric: (target, threshold, priority, lower is better)
    "hallucination_rate": (0.05, 0.02, "critical", True),
    "retrieval_precision": (0.80, 0.10, "primary", False),
    "retrieval_recall": (0.70, 0.10, "primary", False),
    "context_utilization": (0.90, 0.05, "primary", False),
    "latency_p95_s": (5.0, 1.0, "secondary", True),
    "error_rate": (0.01, 0.005, "secondary", True),
}


def gap_of(metric: str, current: float) -> dict[str, Any]:
    """``metric``'s gap entry at ``current``: how far it falls short of its target (<= 0: met)."""
    target, threshold, priority, lower = TARGETS[metric]
    gap = current - target if lower else target - current
    return {"metric": metric, "target": target, "current": current, "gap": gap, "threshold": threshold,
            "exceeds_threshold": gap > threshold, "priority": priority}
