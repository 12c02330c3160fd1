"""The rule-file targets of the seed (0.2) and the embedded MaaS's factors and segments, for the goal tests."""

from store.models import TargetSpec

DEFAULTS = [
    TargetSpec(metric="hallucination_rate", direction="lower_is_better", target=0.05, threshold=0.02, priority="critical"),
    TargetSpec(metric="retrieval_precision", direction="higher_is_better", target=0.80, threshold=0.10, priority="primary"),
    TargetSpec(metric="retrieval_recall", direction="higher_is_better", target=0.70, threshold=0.10, priority="primary"),
    TargetSpec(metric="context_utilization", direction="higher_is_better", target=0.90, threshold=0.05, priority="primary"),
    TargetSpec(metric="latency_p95_s", direction="lower_is_better", target=5.0, threshold=1.0, priority="secondary"),
    TargetSpec(metric="error_rate", direction="lower_is_better", target=0.01, threshold=0.005, priority="secondary"),
]
FACTORS = ["top_k", "score_cutoff", "abstain_threshold", "context_budget"]
SEGMENTS = ["preferences", "personal_facts", "events"]
