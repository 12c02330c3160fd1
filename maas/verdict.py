"""Verdicts: a paired A/B on the same dialogues, per-metric deltas with bootstrap intervals.

The rule is declared in ``data/verdict.yaml`` (see its header). The bootstrap resamples
dialogues, not turns, because turns of one dialogue share a user's memory and are not
independent; both arms use the same resample, which is what makes the comparison paired.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from manager.ports import METRICS, Batch, MetricDelta, Verdict
from maas import judge
from maas.datafiles import DATA_DIR, load_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricRule(_Strict):
    min_effect: float = Field(ge=0)
    tolerance: float = Field(ge=0)


class VerdictRule(_Strict):
    confidence: float = Field(gt=0.5, lt=1)
    resamples: int = Field(ge=100, le=100_000)
    seed: int = Field(ge=0)
    metrics: dict[str, MetricRule]

    @model_validator(mode="after")
    def _all_metrics(self) -> "VerdictRule":
        missing = [m for m in METRICS if m not in self.metrics]
        if missing:
            raise ValueError(f"metrics: rule missing for {', '.join(missing)}")
        return self


def load_verdict_rule(path: Path | None = None) -> VerdictRule:
    return load_model(path or DATA_DIR / "verdict.yaml", VerdictRule)


def _by_dialogue(batch: Batch, order: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-dialogue count sums (D x C), turn latencies and each turn's dialogue position."""
    position = {d: i for i, d in enumerate(order)}
    counts = np.zeros((len(order), len(judge.COLUMNS)))
    latencies, owners = [], []
    for event in batch.events:
        i = position[event.dialogue_id]
        counts[i] += judge.turn_counts(event)
        latencies.append(event.latency_s)
        owners.append(i)
    return counts, np.asarray(latencies, dtype=float), np.asarray(owners, dtype=int)


def _weighted_p95(latencies: np.ndarray, owners: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """95th percentile (linear, as numpy's default) of each resample (B x D multiplicities)."""
    if latencies.size == 0:
        return np.zeros(len(weights))
    order = np.argsort(latencies, kind="stable")
    sorted_lat = latencies[order]
    cumulative = np.cumsum(weights[:, owners[order]], axis=1)  # B x T, rows non-decreasing
    total = cumulative[:, -1]
    pos = 0.95 * np.maximum(total - 1, 0)
    lo = np.floor(pos)
    hi = np.minimum(lo + 1, np.maximum(total - 1, 0))
    # Element k of a resample's sorted sample is the first turn whose cumulative weight exceeds k;
    # offsetting each row by a large constant lets one searchsorted serve every row.
    offset = (np.arange(len(weights)) * (total.max() + 1))[:, None]
    flat = (cumulative + offset).ravel()
    width = cumulative.shape[1]
    i_lo = np.searchsorted(flat, lo + offset[:, 0], side="right") - np.arange(len(weights)) * width
    i_hi = np.searchsorted(flat, hi + offset[:, 0], side="right") - np.arange(len(weights)) * width
    i_lo, i_hi = np.clip(i_lo, 0, width - 1), np.clip(i_hi, 0, width - 1)
    out = sorted_lat[i_lo] + (pos - lo) * (sorted_lat[i_hi] - sorted_lat[i_lo])
    return np.where(total > 0, out, 0.0)


def _resampled(counts: np.ndarray, latencies: np.ndarray, owners: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
    values = judge.ratios(weights @ counts)
    values["latency_p95_s"] = _weighted_p95(latencies, owners, weights)
    return values


def paired_verdict(baseline: Batch, variant: Batch, rule: VerdictRule, lower_is_better: set[str] | frozenset[str]) -> Verdict:
    if baseline.seed != variant.seed:
        raise ValueError(
            f"verdict needs two batches on the same dialogues: baseline {baseline.id} has seed "
            f"{baseline.seed}, variant {variant.id} has seed {variant.seed}"
        )
    order = list(dict.fromkeys(e.dialogue_id for e in baseline.events))
    other = list(dict.fromkeys(e.dialogue_id for e in variant.events))
    if sorted(order) != sorted(other):
        raise ValueError(
            f"verdict needs two batches on the same dialogues: {baseline.id} and {variant.id} "
            f"cover different dialogues ({len(order)} vs {len(other)})"
        )
    if not order:
        raise ValueError(f"verdict: batches {baseline.id} and {variant.id} have no events")

    base_m, var_m = judge.metrics(baseline.events), judge.metrics(variant.events)
    rng = np.random.default_rng(rule.seed)
    d = len(order)
    picks = rng.integers(0, d, size=(rule.resamples, d))
    weights = np.zeros((rule.resamples, d))
    np.add.at(weights, (np.arange(rule.resamples)[:, None], picks), 1.0)
    base_r = _resampled(*_by_dialogue(baseline, order), weights)
    var_r = _resampled(*_by_dialogue(variant, order), weights)
    tail = (1 - rule.confidence) / 2 * 100

    deltas, better_names, worse_names, losing = [], [], [], []
    for metric in METRICS:
        delta = var_m[metric] - base_m[metric]
        boot = var_r[metric] - base_r[metric]
        low, high = (float(x) for x in np.percentile(boot, [tail, 100 - tail]))
        sign = -1.0 if metric in lower_is_better else 1.0  # +: the metric improved
        mr = rule.metrics[metric]
        better = None
        if abs(delta) >= mr.min_effect:
            if (low > 0 and sign > 0) or (high < 0 and sign < 0):
                better = True
                better_names.append(metric)
            elif (high < 0 and sign > 0) or (low > 0 and sign < 0):
                better = False
                worse_names.append(metric)
                if abs(delta) > mr.tolerance:
                    losing.append(metric)
        deltas.append(MetricDelta(metric=metric, baseline=base_m[metric], variant=var_m[metric],
                                  delta=round(delta, 6), ci_low=round(low, 6), ci_high=round(high, 6),
                                  better=better))
    if losing:
        outcome, reason = "loser", f"significantly worse beyond tolerance: {', '.join(losing)}"
    elif better_names:
        outcome = "winner"
        reason = f"significantly better: {', '.join(better_names)}"
        if worse_names:
            reason += f"; worse within tolerance: {', '.join(worse_names)}"
    else:
        outcome = "inconclusive"
        reason = "no metric changed significantly" if not worse_names else (
            f"nothing improved significantly; worse within tolerance: {', '.join(worse_names)}")
    return Verdict(outcome=outcome, deltas=deltas, reason=f"{reason} ({d} paired dialogues, "
                   f"{int(rule.confidence * 100)}% bootstrap intervals)")
