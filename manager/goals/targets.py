"""Targets, limits and the cost goal that a clause's words ask for (seed 1.2)."""

from __future__ import annotations

from dataclasses import dataclass

from manager.goals import wording
from manager.goals.reading import (
    CONSTRAINT_METRICS, COST_LATENCY_CUT, COST_METRIC, HOLDS, QUALITY_METRICS, Intent, Reading, Vocabulary, problem,
)
from manager.goals.values import Value, convert


@dataclass
class Found:
    """The phrases found in a clause, by kind."""

    verbs: list[tuple[str, str]]
    cost: bool
    quality: bool
    current: bool
    metrics: list[str]
    segments: list[str]
    values: list[Value]
    factors: list[str]


def cost(reading: Reading, vocab: Vocabulary, found: Found, verb: str | None) -> None:
    """"Optimize cost": latency P95 below where it starts (COST_LATENCY_CUT)."""
    if found.metrics or found.quality:
        problem(reading, vocab, "cost_mixed", ("forms",))
    elif found.values:
        problem(reading, vocab, "cost_value", ("forms",))
    elif verb is None or verb == "limit":
        problem(reading, vocab, "cost_no_verb" if verb is None else "cost_value", ("forms",))
    elif COST_METRIC not in vocab.defaults:
        problem(reading, vocab, "no_rule_target", ("metrics",), words=COST_METRIC)
    elif verb in ("increase", "hold_above"):
        lang = vocab.lang
        reading.conflicts.append(wording.say(
            lang, "direction", clause=reading.clause, metric=wording.pick(lang, wording.PRIORITY_LABELS["cost"]),
            better=_better(True, lang), asks=_asks(True, lang)))
    else:
        relative = 0.0 if verb in HOLDS else -COST_LATENCY_CUT
        for segment in found.segments or [None]:
            spec = vocab.default(COST_METRIC, segment)
            reading.intents.append(Intent(
                spec.model_copy(update={"relative_to_baseline": relative}), "cost", reading.clause))
        reading.cost = True


def limit(reading: Reading, vocab: Vocabulary, found: Found, value: Value | None) -> None:
    """"max latency 3 s", "ошибки не выше 1%": a hard limit, not a target."""
    if found.quality or not all(m in CONSTRAINT_METRICS for m in found.metrics):
        problem(reading, vocab, "limit_metric", ("forms",))
    elif len(found.metrics) > 1:
        problem(reading, vocab, "limit_one_metric", ("forms",))
    elif found.segments:
        problem(reading, vocab, "limit_segment", ("forms",))
    elif value is None:
        problem(reading, vocab, "limit_no_value", ("forms",))
    elif value.kind in ("lower", "relative"):
        problem(reading, vocab, "limit_lower", ("forms",))
    else:
        metric = found.metrics[0]
        converted = convert(metric, value)
        if converted.problem or converted.amount is None:
            problem(reading, vocab, converted.problem or "limit_no_value", ("forms",), words=value.text)
            return
        reading.constraints[CONSTRAINT_METRICS[metric]] = converted.amount
        _note(reading, vocab, converted.note, value, wording.amount(metric, converted.amount, vocab.lang))


def _better(lower: bool, lang: str) -> str:
    return ("меньше" if lower else "больше") if lang == "ru" else ("lower" if lower else "higher")


def _asks(up: bool, lang: str) -> str:
    return ("поднять её" if up else "опустить её") if lang == "ru" else ("to raise it" if up else "to lower it")


def _note(reading: Reading, vocab: Vocabulary, key: str | None, value: Value, shown: str) -> None:
    if key is None:
        return
    note = wording.say(vocab.lang, key, words=value.text, value=shown)
    if note not in reading.notes:
        reading.notes.append(note)


def targets(reading: Reading, vocab: Vocabulary, found: Found, verb: str | None, value: Value | None) -> None:
    """One target per metric and segment named, in the metric's own direction (rule files)."""
    lang = vocab.lang
    wanted: list[tuple[str, str]] = [(m, "metric") for m in found.metrics]
    if found.quality:
        if value is not None and value.kind != "relative":
            problem(reading, vocab, "quality_level", ("metrics", "forms"))
            return
        if verb in ("decrease", "hold_below"):
            reading.conflicts.append(wording.say(
                lang, "direction", clause=reading.clause, metric=wording.pick(lang, wording.QUALITY_LABEL),
                better=_better(False, lang), asks=_asks(False, lang)))
            return
        wanted += [(m, "quality") for m in QUALITY_METRICS if m in vocab.defaults and m not in found.metrics]
    if value is None and verb is None:
        problem(reading, vocab, "no_action", ("metrics", "forms"),
                words=", ".join(m for m, _ in wanted) or wording.pick(lang, wording.QUALITY_LABEL))
        return
    if value is not None and value.kind == "relative":
        if verb in HOLDS:
            problem(reading, vocab, "hold_with_change", ("forms",), words=value.text)
            return
        if verb is None and not value.signed:
            problem(reading, vocab, "relative_needs_verb", ("forms",), words=value.text)
            return
    if value is not None and value.kind == "bare" and verb is None:
        problem(reading, vocab, "no_action", ("metrics", "forms"), words=", ".join(m for m, _ in wanted))
        return
    made: list[Intent] = []
    for metric, origin in wanted:
        spec = vocab.defaults[metric]
        lower = spec.direction == "lower_is_better"
        good_up = not lower
        effective = "improve" if origin == "quality" and verb == "increase" else verb
        # which way the words ask the metric to move; None: no way (keep, or a level)
        asks_up = {"increase": True, "decrease": False}.get(effective or "")
        if effective == "hold_below" and good_up or effective == "hold_above" and lower:
            asks_up = not good_up
        target, relative = None, None
        if value is None:
            relative = 0.0 if effective in HOLDS else None
        else:
            converted = convert(metric, value)
            if converted.problem or converted.amount is None:
                problem(reading, vocab, converted.problem or "no_action", ("forms",), words=value.text)
                return
            if value.kind == "relative":
                if converted.amount == 0:
                    problem(reading, vocab, "zero_change", ("forms",))
                    return
                if value.signed:
                    sign_up = value.number > 0
                    if asks_up is not None and sign_up != asks_up:
                        reading.conflicts.append(wording.say(
                            lang, "sign_vs_verb", clause=reading.clause, verb=_verb_text(found, effective),
                            value=value.text))
                        continue
                    asks_up = sign_up
                if asks_up is None:
                    asks_up = good_up
                relative = converted.amount if asks_up else -converted.amount
                _note(reading, vocab, converted.note, value, wording.change(metric, relative, lang))
            else:
                bound_up = {"upper": False, "lower": True}.get(value.kind)
                if bound_up is not None and asks_up is not None and bound_up != asks_up:
                    reading.conflicts.append(wording.say(
                        lang, "sign_vs_verb", clause=reading.clause, verb=_verb_text(found, effective),
                        value=value.text))
                    continue
                asks_up = bound_up if bound_up is not None else asks_up
                target = converted.amount
                _note(reading, vocab, converted.note, value, wording.amount(metric, target, lang))
        if asks_up is not None and asks_up != good_up:
            reading.conflicts.append(wording.say(
                lang, "direction", clause=reading.clause, metric=metric, better=_better(lower, lang),
                asks=_asks(asks_up, lang)))
            if asks_up and lower and effective not in HOLDS:
                reading.against.append(metric)
            continue
        for segment in found.segments or [None]:
            scoped = vocab.default(metric, segment)
            made.append(Intent(scoped.model_copy(update={"target": scoped.target if target is None else target,
                                                         "relative_to_baseline": relative}), origin, reading.clause))
    reading.intents.extend(made)


def _verb_text(found: Found, kind: str | None) -> str:
    for k, text in found.verbs:
        if k == kind:
            return text
    return found.verbs[0][1] if found.verbs else "-"
