"""Verdicts: a paired A/B on the same dialogues, per-metric deltas with bootstrap intervals.

The rule is declared in ``data/verdict.yaml`` (see its header). The bootstrap resamples
dialogues, not turns, because turns of one dialogue share a user's memory and are not
independent; both arms use the same resample, which is what makes the comparison paired.

Interim looks (sequential testing): when the variant covers only some of the baseline's
dialogues, the verdict compares the two on those and is decisive only on strong evidence
(the rule's ``interim`` block, with a stricter confidence): a loser whose loss is shown to
exceed its tolerance, or a winner whose every metric is shown to lose no more than its
tolerance. Anything else is "inconclusive" and means "emulate more of the batch". A look on
the whole batch is the ordinary verdict, unchanged.
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


class InterimRule(_Strict):
    confidence: float = Field(gt=0.5, lt=1)
    resamples: int = Field(ge=100, le=100_000)
    min_dialogues: int = Field(ge=2)  # a look on fewer paired dialogues is refused
    decisive: list[str] = Field(min_length=1)  # metrics whose improvement may end a look early

    @model_validator(mode="after")
    def _known(self) -> "InterimRule":
        unknown = [m for m in self.decisive if m not in METRICS]
        if unknown:
            raise ValueError(f"decisive: unknown metric(s) {', '.join(unknown)}")
        return self


class VerdictRule(_Strict):
    confidence: float = Field(gt=0.5, lt=1)
    resamples: int = Field(ge=100, le=100_000)
    seed: int = Field(ge=0)
    metrics: dict[str, MetricRule]
    interim: InterimRule | None = None  # None: only looks on the whole batch

    @model_validator(mode="after")
    def _interim_stricter(self) -> "VerdictRule":
        if self.interim is not None and self.interim.confidence < self.confidence:
            raise ValueError(f"interim.confidence: must be at least confidence ({self.confidence}); "
                             "an early look needs stronger evidence, not weaker")
        return self

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
        i = position.get(event.dialogue_id)
        if i is None:  # an interim look compares on part of the baseline's dialogues
            continue
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


def _dialogues(baseline: Batch, variant: Batch) -> tuple[list[str], bool]:
    """The dialogues to compare on, in the baseline's order, and whether this is an interim look."""
    if baseline.seed != variant.seed:
        raise ValueError(
            f"verdict needs two batches on the same dialogues: baseline {baseline.id} has seed "
            f"{baseline.seed}, variant {variant.id} has seed {variant.seed}"
        )
    order = list(dict.fromkeys(e.dialogue_id for e in baseline.events))
    other = set(e.dialogue_id for e in variant.events)
    if not order or not other:
        raise ValueError(f"verdict: batches {baseline.id} and {variant.id} have no events")
    if other == set(order):
        return order, False
    if other < set(order):
        return [d for d in order if d in other], True
    raise ValueError(
        f"verdict needs two batches on the same dialogues: {baseline.id} and {variant.id} "
        f"cover different dialogues ({len(order)} vs {len(other)})"
    )


def _intervals(baseline: Batch, variant: Batch, order: list[str], confidence: float, resamples: int,
               seed: int) -> dict[str, tuple[float, float, float, float, float]]:
    """Per metric: baseline, variant, delta and the paired bootstrap interval of the delta."""
    keep = set(order)
    base_m = judge.metrics(e for e in baseline.events if e.dialogue_id in keep)
    var_m = judge.metrics(variant.events)
    rng = np.random.default_rng(seed)
    d = len(order)
    picks = rng.integers(0, d, size=(resamples, d))
    weights = np.zeros((resamples, d))
    np.add.at(weights, (np.arange(resamples)[:, None], picks), 1.0)
    base_r = _resampled(*_by_dialogue(baseline, order), weights)
    var_r = _resampled(*_by_dialogue(variant, order), weights)
    tail = (1 - confidence) / 2 * 100
    out = {}
    for metric in METRICS:
        low, high = (float(x) for x in np.percentile(var_r[metric] - base_r[metric], [tail, 100 - tail]))
        out[metric] = (base_m[metric], var_m[metric], var_m[metric] - base_m[metric], low, high)
    return out


def _reported(metric: str, stat: tuple[float, float, float, float, float], better: bool | None) -> MetricDelta:
    """A metric's row of a verdict (full or interim), its numbers rounded as every verdict reports them."""
    base, var, delta, low, high = stat
    return MetricDelta(metric=metric, baseline=base, variant=var, delta=round(delta, 6), ci_low=round(low, 6),
                       ci_high=round(high, 6), better=better)


def paired_verdict(baseline: Batch, variant: Batch, rule: VerdictRule, lower_is_better: set[str] | frozenset[str]) -> Verdict:
    order, interim = _dialogues(baseline, variant)
    if interim:
        return _interim_verdict(baseline, variant, order, rule, lower_is_better)
    stats = _intervals(baseline, variant, order, rule.confidence, rule.resamples, rule.seed)

    deltas, better_names, worse_names, losing = [], [], [], []
    for metric in METRICS:
        _, _, delta, low, high = stats[metric]
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
        deltas.append(_reported(metric, stats[metric], better))
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
    return Verdict(outcome=outcome, deltas=deltas, confidence=rule.confidence,
                   reason=f"{reason} ({len(order)} paired dialogues, {_percent(rule.confidence)} bootstrap intervals)")


def _interim_verdict(baseline: Batch, variant: Batch, order: list[str], rule: VerdictRule,
                     lower_is_better: set[str] | frozenset[str]) -> Verdict:
    """A look on part of the batch: decisive only when the rest of it could hardly change the answer.

    loser:  some metric's whole interval (interim confidence) is worse than its tolerance;
    winner: some ``decisive`` metric is significantly better (interim confidence, at least its
            min_effect; a percentile's bootstrap on few dialogues is too coarse to count) and
            every metric's interval rules out a loss larger than its tolerance, so the loser rule
            of the whole batch has no room left to fire;
    otherwise inconclusive: emulate more of the batch.
    """
    look = rule.interim
    if look is None:
        raise ValueError(
            f"verdict: variant {variant.id} covers {len(order)} of the {baseline.dialogues} dialogues of "
            f"baseline {baseline.id}, and the verdict rule has no interim block for looks on part of a batch")
    if len(order) < look.min_dialogues:
        raise ValueError(f"verdict: an interim look needs at least {look.min_dialogues} paired dialogues "
                         f"(interim.min_dialogues), variant {variant.id} covers {len(order)}")
    stats = _intervals(baseline, variant, order, look.confidence, look.resamples, rule.seed)

    deltas, better_names, losing, unsettled = [], [], [], []
    for metric in METRICS:
        _, _, delta, low, high = stats[metric]
        lower = metric in lower_is_better
        mr = rule.metrics[metric]
        worst = high if lower else -low  # the largest loss the interval allows (<= 0: none)
        better = None
        if abs(delta) >= mr.min_effect and (high < 0 if lower else low > 0):
            better = True
            if metric in look.decisive:
                better_names.append(metric)
        elif abs(delta) >= mr.min_effect and (low > 0 if lower else high < 0):
            better = False
            if (low if lower else -high) > mr.tolerance:  # even the interval's best end loses too much
                losing.append(metric)
        if worst > mr.tolerance:
            unsettled.append(metric)
        deltas.append(_reported(metric, stats[metric], better))
    if losing:
        outcome, reason = "loser", f"significantly worse beyond tolerance: {', '.join(losing)}"
    elif better_names and not unsettled:
        outcome = "winner"
        reason = f"significantly better: {', '.join(better_names)}; no metric can be worse beyond its tolerance"
    else:
        outcome = "inconclusive"
        reason = "not decisive yet: " + (
            f"a loss beyond tolerance not ruled out for {', '.join(unsettled)}" if better_names
            else "no decisive metric significantly better")
    return Verdict(outcome=outcome, deltas=deltas, confidence=look.confidence, reason=(
        f"interim look, {reason} ({len(order)} of {baseline.dialogues} paired dialogues, "
        f"{_percent(look.confidence)} bootstrap intervals)"))


def _percent(confidence: float) -> str:
    return f"{confidence * 100:.3g}%"
