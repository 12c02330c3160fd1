"""Hypotheses: from the gaps and the impact map, one factor and one step.

The most urgent failing metric (critical before primary before secondary; among equals the
one furthest past its threshold) is the focus. Every factor the impact map links to the
focus, stepped the way that helps it, is a candidate; a candidate scores

    sum over the metrics the step moves of  strength * (+urgency if it helps a failing metric,
                                                        -urgency if it hurts a failing metric,
                                                        -risk    if it hurts a passing metric)

where urgency = priority weight * gap / threshold and risk grows as a passing metric's
margin shrinks below its threshold. The best positive candidate wins; if the focus has
none, the next failing metric is tried. A move that failed is skipped until another move
succeeds, a return to a value an applied move already left is skipped for good, and when
a full step is skipped, half a step is tried.
"""

from __future__ import annotations

from typing import Any

from manager.ports import ExperimentDesign, FactorSpec, Hypothesis
from maas.impacts import ImpactMap

PRIORITY_WEIGHT = {"critical": 4.0, "primary": 2.0, "secondary": 1.0}
PRIORITY_RANK = {"critical": 0, "primary": 1, "secondary": 2}
SUCCESS = {"applied", "winner", "accepted", "success", "succeeded", "kept"}
RISK_WEIGHT = 0.5


def _num(gap: dict[str, Any], key: str) -> float:
    value = gap.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"gap for {gap.get('metric', '?')!r}: {key!r} must be a number, got {value!r}")
    return float(value)


def _urgency(gap: dict[str, Any]) -> float:
    threshold = max(_num(gap, "threshold"), 1e-9)
    return PRIORITY_WEIGHT.get(gap.get("priority", "secondary"), 1.0) * _num(gap, "gap") / threshold


def _risk(gap: dict[str, Any]) -> float:
    """How close a passing metric is to failing: 0 with a margin of a threshold or more, up to 1."""
    threshold = max(_num(gap, "threshold"), 1e-9)
    margin = -_num(gap, "gap")
    return PRIORITY_WEIGHT.get(gap.get("priority", "secondary"), 1.0) * max(0.0, 1.0 - margin / threshold)


def _same(a: float, b: float) -> bool:
    return abs(a - b) < 1e-6


def _steps_to(spec: FactorSpec, current: float, sign: int) -> list[float]:
    """The full step, then half of it (tried when the full step failed before)."""
    out = []
    for size in (spec.step, spec.step / 2):
        if spec.integer:
            size = float(int(size))
            if size < 1:
                continue
        value = min(spec.maximum, max(spec.minimum, current + sign * size))
        value = float(round(value)) if spec.integer else round(value, 6)
        if not _same(value, current) and value not in out:
            out.append(value)
    return out


def _succeeded(attempt: dict[str, Any]) -> bool:
    return str(attempt.get("outcome", "")).lower() in SUCCESS


def _blocked(factor: str, proposed: float, current: float, tried: list[dict[str, Any]]) -> bool:
    """Whether ``tried`` (oldest first) rules out moving ``factor`` to ``proposed`` now.

    A move that failed is ruled out until some later move succeeds: once the configuration
    has changed, the same move may well pay off. A value an applied move reached, and a
    later move left, is ruled out for good: going back would undo progress.
    """
    for i, attempt in enumerate(tried):
        if attempt.get("factor") != factor or not isinstance(attempt.get("proposed"), (int, float)):
            continue
        if not _same(float(attempt["proposed"]), proposed):
            continue
        if not _succeeded(attempt):
            if not any(_succeeded(later) for later in tried[i + 1:]):
                return True
        elif not _same(proposed, current):
            return True
    return False


def propose(
    impacts: ImpactMap,
    gaps: list[dict[str, Any]],
    params: dict[str, float],
    factors: list[FactorSpec],
    tried: list[dict[str, Any]],
) -> Hypothesis | None:
    by_metric = {}
    for i, g in enumerate(gaps):
        if not isinstance(g, dict) or not isinstance(g.get("metric"), str):
            raise ValueError(f"gaps[{i}]: expected a mapping with a 'metric' name, got {g!r}")
        by_metric[g["metric"]] = g
    failing = [g for g in by_metric.values() if _num(g, "gap") >= 0]  # targets are strict: equal misses
    failing.sort(key=lambda g: (PRIORITY_RANK.get(g.get("priority"), 3), not g.get("exceeds_threshold", False),
                                -_urgency(g), g["metric"]))
    for focus in failing:
        metric = focus["metric"]
        need = "down" if impacts.lower_is_better(metric) else "up"
        best: tuple[tuple[float, int, int], Hypothesis] | None = None
        for spec in factors:
            if spec.name not in impacts.factors or spec.name not in params or metric not in impacts.factors[spec.name]:
                continue
            sign = 1 if impacts.factors[spec.name][metric].direction == need else -1
            current = float(params[spec.name])
            open_steps = [v for v in _steps_to(spec, current, sign) if not _blocked(spec.name, v, current, tried)]
            if not open_steps:
                continue
            proposed = open_steps[0]
            effects = impacts.effects(spec.name, sign)
            score, helped, hurt = 0.0, [], []
            for m, (direction, strength) in effects.items():
                wanted = "down" if impacts.lower_is_better(m) else "up"
                gap = by_metric.get(m)
                failing_m = gap is not None and _num(gap, "gap") >= 0
                if direction == wanted:
                    helped.append(m)
                    score += strength * (_urgency(gap) if failing_m else 0.0)
                else:
                    hurt.append(m)
                    score -= strength * (_urgency(gap) if failing_m else (RISK_WEIGHT * _risk(gap) if gap else 0.0))
            if score <= 0:
                continue
            reason = (f"{metric} misses its target by {_num(focus, 'gap'):.3g} ({focus.get('priority', '?')}); "
                      f"{'raising' if sign > 0 else 'lowering'} {spec.name} {current:g} -> {proposed:g} should help "
                      f"{', '.join(helped)}" + (f" at some cost to {', '.join(hurt)}" if hurt else ""))
            hypothesis = Hypothesis(factor=spec.name, current=current, proposed=proposed,
                                    step=round(proposed - current, 6), reason=reason,
                                    expected={m: d for m, (d, _) in effects.items()})
            # ties: the stronger lever on the focus, then the one that helps more overall
            key = (round(score, 9), effects[metric][1], sum(effects[m][1] for m in helped))
            if best is None or key > best[0] or (key == best[0] and spec.name < best[1].factor):
                best = (key, hypothesis)
        if best is not None:
            return best[1]
    return None


def design_experiments(impacts: ImpactMap, targets: list[dict[str, Any]], factors: list[FactorSpec]) -> list[ExperimentDesign]:
    """One experiment per factor that the impact map links to a target metric."""
    for i, t in enumerate(targets):
        if not isinstance(t, dict) or not isinstance(t.get("metric"), str):
            raise ValueError(f"targets[{i}]: expected a mapping with a 'metric' name, got {t!r}")
    wanted = [t for t in targets if t["metric"] in impacts.metrics]
    designs = []
    for spec in factors:
        effects = impacts.factors.get(spec.name, {})
        linked = [t for t in wanted if t["metric"] in effects]
        if not linked:
            continue
        criteria = []
        for t in linked:
            lower = t.get("direction") == "lower_is_better" or (
                "direction" not in t and impacts.lower_is_better(t["metric"]))
            criteria.append(f"{t['metric']} {'<' if lower else '>'} {t.get('target')}")
        criteria.append("no regression on the golden set")
        moves = ", ".join(f"{m} {e.direction}" for m, e in effects.items())
        designs.append(ExperimentDesign(
            title=f"Tune {spec.name}",
            factor=spec.name,
            hypothesis=(f"Raising {spec.name} moves {moves} (lowering it reverses them); one step of "
                        f"{spec.step:g} within [{spec.minimum:g}, {spec.maximum:g}] per cycle, paired A/B on "
                        f"the same dialogues."),
            success_criteria=criteria,
        ))
    return designs
