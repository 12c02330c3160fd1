"""Reading one clause of a goal: what it asks for, or why it cannot be understood.

A clause is read by taking out, one kind at a time, every phrase the translator
knows (autonomy, priorities, factor rules, verbs, cost, quality, metrics,
segments, numbers). Whatever is left that is not a filler word was not
understood, and then the whole clause is refused: nothing is half-applied.
"""

from __future__ import annotations

import re

from manager.goals import lexicon
from manager.goals.reading import CONSTRAINT_METRICS, HOLDS, Reading, Scan, Vocabulary, problem
from manager.goals.targets import Found, cost, limit, targets
from manager.goals.text import normalise
from manager.goals.values import find_values


def read(clause: str, vocab: Vocabulary) -> Reading:
    """Read one clause (as the human typed it)."""
    norm = normalise(clause)
    reading = Reading(clause)
    scan = Scan(norm)
    reading.autonomy = [kind for kind, p in lexicon.AUTONOMY for _ in scan.take(p)]
    reading.priorities = [order for order, p in lexicon.PRIORITIES for _ in scan.take(p)]
    factor_names = [f for f, p in lexicon.factor_patterns(vocab.factors) if p.search(scan.rest)]
    strong = lexicon.FROZEN_STRONG.search(scan.rest) or lexicon.ALLOWED_STRONG.search(scan.rest)
    weak = lexicon.FROZEN_WEAK.search(scan.rest) or lexicon.ALLOWED_WEAK.search(scan.rest)
    if strong or (weak and factor_names):
        reading.factor_clause = reading.meaningful = True
        _read_factors(scan, reading, vocab)
    else:
        reading.only_factors = _only_factors(scan.rest, vocab)
        _read_metrics(scan, reading, vocab)
    return reading


def _words(scan: Scan, left: list[re.Match[str]]) -> str:
    """The words not understood, with the filler words between them, as one phrase."""
    first, last = left[0].start(), left[-1].end()
    tokens = scan.tokens()
    picked = [t.group(0) for t in tokens if first <= t.start() < last]
    following = [t.group(0) for t in tokens if t.start() >= last][:1]
    if following and following[0] in ("памяти", "память", "memory", "memories", "segment", "сегменте"):
        picked += following
    return " ".join(picked)


# --- "don't touch top_k", "only top_k and score_cutoff" ---------------------------------




def _only_factors(rest: str, vocab: Vocabulary) -> bool:
    scan = Scan(rest)
    named = [f for f, p in lexicon.factor_patterns(vocab.factors) if scan.take(p)]
    scan.take(lexicon.FACTOR_WORDS)
    return bool(named) and not scan.leftover()


def _read_factors(scan: Scan, reading: Reading, vocab: Vocabulary) -> None:
    frozen_strong = scan.take(lexicon.FROZEN_STRONG)
    allowed_strong = scan.take(lexicon.ALLOWED_STRONG)
    frozen_weak = scan.take(lexicon.FROZEN_WEAK)
    allowed_weak = scan.take(lexicon.ALLOWED_WEAK)
    if frozen_strong and allowed_strong or (not frozen_strong and not allowed_strong and frozen_weak and allowed_weak):
        problem(reading, vocab, "frozen_and_allowed", ("factors",))
        return
    frozen = bool(frozen_strong or (not allowed_strong and frozen_weak))
    scan.take(lexicon.FACTOR_WORDS)
    scan.take(lexicon.FACTOR_FILLER)
    names = [f for f, p in lexicon.factor_patterns(vocab.factors) if scan.take(p)]
    left = scan.leftover()
    if left:
        words = _words(scan, left)
        if any(p.search(words) for _, p in lexicon.metric_patterns(vocab.metrics)):
            problem(reading, vocab, "metric_not_factor", ("factors",), words=words)
        else:
            problem(reading, vocab, "unknown_factor", ("factors",), words=words)
    elif not names:
        problem(reading, vocab, "no_factor", ("factors",))
    elif frozen:
        reading.frozen = names
    else:
        reading.allowed = names


# --- targets and limits -------------------------------------------------------------


# --- targets and limits -------------------------------------------------------------


def _find(scan: Scan, vocab: Vocabulary) -> Found:
    factors = [f for f, p in lexicon.factor_patterns(vocab.factors) if scan.take(p)]
    verbs = sorted(((m.start(), kind, m.group(0)) for kind, p in lexicon.VERBS for m in scan.take(p)))
    cost = bool(scan.take(lexicon.COST))
    quality = bool(scan.take(lexicon.QUALITY))
    current = bool(scan.take(lexicon.CURRENT))
    metrics = sorted((m.start(), name) for name, p in lexicon.metric_patterns(vocab.metrics) for m in scan.take(p))
    segments = sorted((m.start(), name) for name, p in lexicon.segment_patterns(vocab.segments) for m in scan.take(p))
    values = []
    for m, value in find_values(scan.rest):
        scan.blank(m.start(), m.end())
        values.append(value)
    return Found(
        verbs=[(kind, text) for _, kind, text in verbs], cost=cost, quality=quality, current=current,
        metrics=list(dict.fromkeys(name for _, name in metrics)),
        segments=list(dict.fromkeys(name for _, name in segments)), values=values, factors=factors)


def _read_metrics(scan: Scan, reading: Reading, vocab: Vocabulary) -> None:
    found = _find(scan, vocab)
    kinds = list(dict.fromkeys(kind for kind, _ in found.verbs))
    if len(kinds) > 1 and "target" in kinds:
        kinds.remove("target")
    verb = kinds[0] if kinds else ("hold" if found.current else None)
    value = found.values[0] if found.values else None
    reading.verb = verb
    reading.has_value = value is not None
    reading.has_names = bool(found.metrics or found.segments or found.quality or found.cost)
    left = scan.leftover()
    reading.meaningful = bool(reading.head or found.verbs or reading.has_names or found.values or found.factors
                              or found.current or left)
    reading.constraint_shaped = bool(
        found.metrics and not found.quality and all(m in CONSTRAINT_METRICS for m in found.metrics)
        and (verb == "limit" or (verb in (None, *HOLDS) and value is not None and value.kind in ("upper", "level"))))
    if found.factors:
        problem(reading, vocab, "factor_not_metric", ("factors", "metrics"), words=", ".join(found.factors))
        return
    if left:
        _unknown(reading, vocab, scan, left)
        return
    if len(kinds) > 1:
        problem(reading, vocab, "two_actions", ("forms",), words=", ".join(text for _, text in found.verbs))
        return
    if len(found.values) > 1:
        problem(reading, vocab, "two_values", ("forms",), words=", ".join(v.text for v in found.values))
        return
    if found.cost:
        cost(reading, vocab, found, verb)
    elif found.metrics or found.quality:
        if reading.constraint_shaped or verb == "limit":
            limit(reading, vocab, found, value)
        else:
            targets(reading, vocab, found, verb, value)
    elif found.verbs:
        problem(reading, vocab, "no_metric", ("metrics", "forms"))
    elif value is not None:
        problem(reading, vocab, "value_without_metric", ("metrics", "forms"), words=value.text)
    elif found.segments or found.current:
        problem(reading, vocab, "no_metric", ("metrics", "forms"))


def _unknown(reading: Reading, vocab: Vocabulary, scan: Scan, left: list[re.Match[str]]) -> None:
    tokens = scan.tokens()
    starts = [t.start() for t in tokens]
    first = starts.index(left[0].start())
    before = tokens[first - 1].group(0) if first > 0 else ""
    words = _words(scan, left)
    if before in lexicon.SEGMENT_MARKERS or before.startswith("сегмент"):
        problem(reading, vocab, "unknown_segment", ("segments",), words=words)
    else:
        problem(reading, vocab, "unknown_words", ("metrics", "forms"), words=words)
