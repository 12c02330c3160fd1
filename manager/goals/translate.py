"""translate(): a human goal, in Russian or English, to a campaign's targets and rules (seed 1.3).

Deterministic: no model, no network. The goal is cut into clauses, each clause is
read on its own (manager.goals.clause), and the readings are put together here,
where contradictions between clauses are found.
"""

from __future__ import annotations

from manager.goals import wording
from manager.goals.clause import read
from manager.goals.reading import COST_LATENCY_CUT, COST_METRIC, CONSTRAINT_METRICS, Intent, Reading, Vocabulary
from manager.goals.model import GoalTranslation
from manager.goals.text import MAX_GOAL_CHARS, clean, language, split
from store.models import TargetSpec

NAME_CHARS = 80


def translate(text: str, *, defaults: list[TargetSpec], factors: list[str], segments: list[str]) -> GoalTranslation:
    """Translate a goal. ``defaults`` are the rule files' targets (direction, threshold, priority
    and the default target of each metric); ``factors`` the impact factors; ``segments`` the
    memory segments. Never raises on any text: what it cannot read, it says."""
    shown = clean(text if isinstance(text, str) else str(text))
    lang = language(shown)
    vocab = Vocabulary(_defaults_by_metric(defaults), tuple(dict.fromkeys(factors)), tuple(dict.fromkeys(segments)),
                       lang, {(t.metric, t.segment): t for t in defaults if t.segment is not None})
    out = GoalTranslation(text=shown, language=lang, name=wording.say(lang, "empty_name"))  # type: ignore[arg-type]
    if len(shown) > MAX_GOAL_CHARS:
        out.name = _fallback_name(shown, lang)
        out.not_understood.append(wording.say(lang, "too_long", n=len(shown), max=MAX_GOAL_CHARS))
        return out
    readings = _clauses(shown, vocab)
    if not readings:
        out.conflicts.append(wording.say(lang, "empty"))
        return out
    _assemble(out, readings, vocab)
    return out


def _defaults_by_metric(defaults: list[TargetSpec]) -> dict[str, TargetSpec]:
    """One default per metric: the unscoped one when the rule files also have per-segment ones."""
    out: dict[str, TargetSpec] = {}
    for spec in sorted(defaults, key=lambda t: t.segment is not None):
        out.setdefault(spec.metric, spec.model_copy(update={"segment": None, "relative_to_baseline": None}))
    return out


def _clauses(text: str, vocab: Vocabulary) -> list[Reading]:
    """Read fragment by fragment, joining a fragment to the clause before it when it only
    continues it: "increase precision and recall by 5 pp", "only top_k and score_cutoff"."""
    readings: list[Reading] = []
    for sep, fragment in split(text):
        reading = read(fragment, vocab)
        if not reading.meaningful:
            continue
        if readings and _continues(readings[-1], reading):
            readings[-1] = read(readings[-1].clause + sep + fragment, vocab)
            continue
        readings.append(reading)
    return readings


def _continues(before: Reading, fragment: Reading) -> bool:
    if before.factor_clause:
        # "don't touch models and RLS": unknown names still belong to the factor list
        return fragment.only_factors or not (
            fragment.factor_clause or fragment.head or fragment.verb or fragment.has_names or fragment.has_value)
    if fragment.factor_clause or fragment.head or fragment.verb is not None or fragment.cost or fragment.only_factors:
        return False
    if before.verb in (None, "limit"):
        return False
    if not (fragment.has_names or fragment.has_value):
        return False
    if fragment.constraint_shaped:
        return False
    return not (fragment.has_value and before.has_value)


def _assemble(out: GoalTranslation, readings: list[Reading], vocab: Vocabulary) -> None:
    lang = vocab.lang
    good = [r for r in readings if not r.problems]
    for r in readings:
        out.not_understood.extend(r.problems)
    for r in good:
        out.conflicts.extend(r.conflicts)
        if r.produced:
            out.understood.append(_understood_line(r, lang))
        for note in r.notes:
            if note not in out.notes:
                out.notes.append(note)
    out.targets = _targets(out, [i for r in good for i in r.intents], lang)
    out.constraints = _constraints(out, good, lang)
    out.frozen_factors = list(dict.fromkeys(f for r in good for f in r.frozen))
    out.allowed_factors = list(dict.fromkeys(f for r in good for f in r.allowed))
    _factor_conflicts(out, vocab)
    _limit_conflicts(out, good, lang)
    autonomy = list(dict.fromkeys(a for r in good for a in r.autonomy))
    if len(autonomy) > 1:
        out.conflicts.append(wording.say(lang, "autonomy_twice", words=", ".join(autonomy)))
    elif autonomy:
        out.autonomy = autonomy[0]  # type: ignore[assignment]
    stated = list(dict.fromkeys(p for r in good for p in r.priorities))
    if len(stated) > 1:
        out.conflicts.append(wording.say(lang, "priorities_twice", words="; ".join(
            wording.describe_priorities(list(p), lang) for p in stated)))
    elif stated:
        out.priorities = list(stated[0])
    elif any(r.cost for r in good):
        out.priorities = ["cost", "quality"]
    _cost_notes(out, good, lang)
    if any(t.relative_to_baseline is not None for t in out.targets):
        out.notes.append(wording.say(lang, "relative_later"))
    if not out.targets and not out.not_understood and not out.conflicts:
        out.notes.append(wording.say(lang, "no_target"))
    out.name = _name(out, good, lang)


def _understood_line(r: Reading, lang: str) -> str:
    parts = [wording.describe_target(i.spec, lang) for i in r.intents]
    parts += [wording.describe_constraint(k, v, lang) for k, v in r.constraints.items()]
    if r.frozen:
        parts.append(f"{wording.say(lang, 'frozen')}: {', '.join(r.frozen)}")
    if r.allowed:
        parts.append(f"{wording.say(lang, 'factors')}: {wording.say(lang, 'factors_only', words=', '.join(r.allowed))}")
    parts += [f"{wording.say(lang, 'autonomy')}: {wording.pick(lang, wording.AUTONOMY_LABELS[a])}" for a in r.autonomy]
    parts += [f"{wording.say(lang, 'priorities')}: {wording.describe_priorities(list(p), lang)}" for p in r.priorities]
    quote = "«{}»" if lang == "ru" else "'{}'"
    return quote.format(r.clause) + " → " + "; ".join(parts)


def _key(spec: TargetSpec) -> tuple[str, str | None]:
    return spec.metric, spec.segment


def _targets(out: GoalTranslation, intents: list[Intent], lang: str) -> list[TargetSpec]:
    """One target per metric and segment. A metric named outright wins over one implied by
    "quality" or "cost"; two different ones named outright cannot both be the target."""
    groups: dict[tuple[str, str | None], list[Intent]] = {}
    for intent in intents:
        groups.setdefault(_key(intent.spec), []).append(intent)
    targets = []
    for key, group in groups.items():
        explicit = [i for i in group if i.origin == "metric"]
        use = explicit or group
        distinct: list[Intent] = []
        for intent in use:
            if all(intent.spec != d.spec for d in distinct):
                distinct.append(intent)
        name = wording.metric_name(*key)
        if len(distinct) > 1:
            a, b = distinct[0], distinct[1]
            out.conflicts.append(wording.say(
                lang, "duplicate_target", metric=name, a=_brief(a.spec, lang), ca=a.clause,
                b=_brief(b.spec, lang), cb=b.clause))
            continue
        targets.append(distinct[0].spec)
        if len(use) > 1:
            out.notes.append(wording.say(lang, "duplicate_same", metric=name))
        if explicit and len(group) > len(explicit):
            implied = next(i for i in group if i.origin != "metric")
            out.notes.append(wording.say(lang, "explicit_over_group", metric=name, clause=implied.clause))
    return targets


def _brief(spec: TargetSpec, lang: str) -> str:
    return wording.describe_target(spec, lang).split(": ", 1)[1].split(" (")[0]


def _constraints(out: GoalTranslation, good: list[Reading], lang: str) -> dict[str, float]:
    seen: dict[str, list[float]] = {}
    for r in good:
        for key, value in r.constraints.items():
            if value not in seen.setdefault(key, []):
                seen[key].append(value)
    result = {}
    for key, values in seen.items():
        if len(values) > 1:
            shown = [wording.describe_constraint(key, v, lang) for v in values[:2]]
            out.conflicts.append(wording.say(lang, "duplicate_constraint", what=key, a=shown[0], b=shown[1]))
        else:
            result[key] = values[0]
    return result


def _factor_conflicts(out: GoalTranslation, vocab: Vocabulary) -> None:
    lang = vocab.lang
    both = [f for f in out.allowed_factors if f in out.frozen_factors]
    if both:
        out.conflicts.append(wording.say(lang, "allowed_and_frozen", words=", ".join(both)))
    pool = out.allowed_factors or list(vocab.factors)
    if out.frozen_factors and pool and all(f in out.frozen_factors for f in pool):
        out.conflicts.append(wording.say(lang, "all_frozen", words=", ".join(out.frozen_factors)))


def _limit_conflicts(out: GoalTranslation, good: list[Reading], lang: str) -> None:
    """A goal that asks a limited metric to rise goes against its limit; a target looser than
    the limit is fine, but the human should know the limit is what counts."""
    limits = {metric: key for metric, key in CONSTRAINT_METRICS.items() if key in out.constraints}
    for r in good:
        for metric in r.against:
            if metric in limits:
                key = limits[metric]
                out.conflicts.append(wording.say(
                    lang, "against_limit", clause=r.clause, metric=metric,
                    limit=wording.describe_constraint(key, out.constraints[key], lang)))
    for t in out.targets:
        if t.metric in limits and t.relative_to_baseline is None and t.direction == "lower_is_better":
            key = limits[t.metric]
            if t.target > out.constraints[key]:
                out.notes.append(wording.say(
                    lang, "limit_binds", limit=wording.describe_constraint(key, out.constraints[key], lang),
                    target=_brief(t, lang)))


def _cost_notes(out: GoalTranslation, good: list[Reading], lang: str) -> None:
    if not any(r.cost for r in good):
        return
    cut = wording.change(COST_METRIC, COST_LATENCY_CUT, lang).lstrip("+")
    out.notes.append(wording.say(lang, "cost_measure", cut=cut))
    held = {t.metric for t in out.targets if t.relative_to_baseline == 0.0}
    if not any(i.origin == "quality" or i.spec.metric in held - {COST_METRIC} for r in good for i in r.intents):
        out.notes.append(wording.say(lang, "cost_without_hold"))


def _name(out: GoalTranslation, good: list[Reading], lang: str) -> str:
    """A short campaign name: what the goal asks, in a few symbols."""
    ru = lang == "ru"
    parts: list[str] = []
    intents = [i for r in good for i in r.intents]
    for t in out.targets:
        origin = next((i.origin for i in intents if i.spec == t), "metric")
        if origin == "cost":
            part = "стоимость ↓" if ru else "cost ↓"
        elif origin == "quality":
            part = ("качество ≥ текущего" if ru else "quality ≥ current") if t.relative_to_baseline == 0 else (
                "качество ↑" if ru else "quality ↑")
        else:
            lower = t.direction == "lower_is_better"
            where = wording.metric_name(t.metric, t.segment)
            if t.relative_to_baseline is None:
                part = f"{where} {'<' if lower else '>'} {wording.amount(t.metric, t.target, lang)}"
            elif t.relative_to_baseline == 0:
                part = f"{where} {'≤' if lower else '≥'} {'текущего' if ru else 'current'}"
            else:
                part = f"{where} {wording.change(t.metric, t.relative_to_baseline, lang)}"
        if part not in parts:
            parts.append(part)
    name = "; ".join(parts) if parts else _fallback_name(out.text, lang)
    return name if len(name) <= NAME_CHARS else name[:NAME_CHARS - 1].rstrip() + "…"


def _fallback_name(text: str, lang: str) -> str:
    first = text.split("\n", 1)[0].strip()
    if not first:
        return wording.say(lang, "empty_name")
    return first if len(first) <= 60 else first[:59].rstrip() + "…"
