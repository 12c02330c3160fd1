"""The Teacher's judge: metrics of a batch of question turns, from telemetry and ground truth.

Definitions (Q = question turns; a turn is *errored* when ``error`` is set, *valid* otherwise;
a valid turn *answers* when it did not abstain; the *context* of an answering turn is its
``retrieved_ids``; an abstaining turn delivers no context to an answer):

- ``error_rate`` = errored turns / Q.
- ``hallucination_rate`` = valid turns that answered although they should have abstained
  (the question is not answerable) or answered wrongly (``correct`` is False; when
  ``correct`` is missing, wrong means none of ``used_ids`` is relevant) / valid turns.
- ``retrieval_precision`` = relevant memories in the contexts of answering turns /
  memories in those contexts (micro-averaged; 0 when no context was delivered at all).
- ``retrieval_recall`` = relevant memories delivered in the context of an answering turn /
  relevant memories of all valid turns (an abstention delivers none; 1 when nothing was relevant).
- ``context_utilization`` = memories in the contexts of answering turns that the answer used
  (``used_ids``) / memories in those contexts (micro-averaged; 0 when nothing was delivered).
- ``latency_p95_s`` = 95th percentile (linear interpolation) of ``latency_s`` over Q, errored
  turns included (0 when Q is empty).

Rates are fractions in [0, 1]. Every metric except the percentile is a ratio of per-turn
counts, so the counts of any subset of dialogues (a segment, a bootstrap resample) give
that subset's metric exactly.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from manager.ports import METRICS, SensorEvent

LOWER_IS_BETTER = frozenset({"hallucination_rate", "latency_p95_s", "error_rate"})  # the rest: higher

# Per-turn counts; column order of the arrays below.
COLUMNS = ("questions", "errors", "valid", "hallucinated", "delivered", "relevant_delivered",
           "relevant", "used_delivered")
_C = {name: i for i, name in enumerate(COLUMNS)}


def is_hallucination(event: SensorEvent) -> bool:
    if event.error or event.abstained:
        return False
    if not event.answerable:
        return True
    if event.correct is not None:
        return not event.correct
    return not set(event.used_ids) & set(event.relevant_ids)


def turn_counts(event: SensorEvent) -> np.ndarray:
    row = np.zeros(len(COLUMNS))
    row[_C["questions"]] = 1
    if event.error:
        row[_C["errors"]] = 1
        return row
    relevant = set(event.relevant_ids)
    row[_C["valid"]] = 1
    row[_C["relevant"]] = len(relevant)
    row[_C["hallucinated"]] = is_hallucination(event)
    if not event.abstained:
        context = list(dict.fromkeys(event.retrieved_ids))
        row[_C["delivered"]] = len(context)
        row[_C["relevant_delivered"]] = sum(1 for m in context if m in relevant)
        row[_C["used_delivered"]] = len(set(event.used_ids) & set(context))
    return row


def ratios(sums: np.ndarray) -> dict[str, np.ndarray]:
    """Every count-based metric from summed counts; ``sums`` has COLUMNS as its last axis."""
    s = {name: sums[..., i] for name, i in _C.items()}

    def div(num: np.ndarray, den: np.ndarray, empty: float) -> np.ndarray:
        return np.where(den > 0, num / np.where(den > 0, den, 1), empty)

    return {
        "hallucination_rate": div(s["hallucinated"], s["valid"], 0.0),
        "retrieval_precision": div(s["relevant_delivered"], s["delivered"], 0.0),
        "retrieval_recall": div(s["relevant_delivered"], s["relevant"], 1.0),
        "context_utilization": div(s["used_delivered"], s["delivered"], 0.0),
        "error_rate": div(s["errors"], s["questions"], 0.0),
    }


def metrics(events: Iterable[SensorEvent]) -> dict[str, float]:
    events = list(events)
    sums = np.sum([turn_counts(e) for e in events], axis=0) if events else np.zeros(len(COLUMNS))
    out = {name: float(v) for name, v in ratios(sums).items()}
    latencies = [e.latency_s for e in events]
    out["latency_p95_s"] = float(np.percentile(latencies, 95)) if latencies else 0.0
    return {name: round(out[name], 6) for name in METRICS}


def per_segment(events: Iterable[SensorEvent]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[SensorEvent]] = {}
    for e in events:
        groups.setdefault(e.segment, []).append(e)
    return {segment: metrics(group) for segment, group in sorted(groups.items())}
