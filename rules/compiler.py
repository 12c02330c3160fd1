"""Rule files -> rules over single facts -> durable-rules ruleset definitions.

A rule's condition is expanded into alternatives (disjunctive normal form); each
alternative is one durable-rules rule over ONE message (``{"m": {"$and": [...]}}``),
so a firing names exactly the comparisons that held. Comparisons are always with
constants: durable-rules mis-evaluates a field compared with another field of the
same message, so ``{target: threshold}`` is expanded target by target, and
per-parameter limits parameter by parameter. The only join is four-eyes, where two
people are compared across two facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable

from rules import builtin, numbers
from rules.book import RuleBook, Where
from rules.facts import BASELINE_CHANGE, GAP, MEAN_GAP, PERSON, PROPOSAL, FactKind, golden_kind
from rules.schema import SYMBOLS, AllOf, AnyOf, Comparison, TargetRef
from store.models import TargetSpec


@dataclass(frozen=True)
class Test:
    """One comparison of a fact's field with a constant."""

    field: str
    op: str
    value: Any  # Decimal, str or bool
    ref: str | None = None  # the constant's name when it is a setting ("threshold", "maximum")
    hidden: bool = False  # says what the fact is, which the subject already names


@dataclass(frozen=True)
class Conjunct:
    tests: tuple[Test, ...]


@dataclass
class Rule:
    """A named rule as compiled: alternatives of comparisons on one kind of fact."""

    name: str
    role: str  # exceeds | should_tune | reject | improved | rollback | deny | approval
    kind: FactKind
    conjuncts: list[Conjunct]
    description: str = ""
    where: Where | None = None
    reason: str | None = None
    template: str | None = None
    join: bool = False

    @property
    def in_force(self) -> bool:
        """False when the settings leave it nothing to match (no 'never' parameter, say)."""
        return self.join or bool(self.conjuncts)


# --- conditions -> alternatives ---------------------------------------------------------

def alternatives(cond: Any) -> list[list[Comparison]]:
    """The condition as a list of alternatives, each a list of comparisons that must all hold."""
    if isinstance(cond, Comparison):
        return [[cond]]
    if isinstance(cond, AnyOf):
        return [alt for sub in cond.any for alt in alternatives(sub)]
    assert isinstance(cond, AllOf)
    result: list[list[Comparison]] = [[]]
    for sub in cond.all:
        result = [left + right for left in result for right in alternatives(sub)]
    return result


def _constant(value: Any) -> Any:
    if isinstance(value, bool) or isinstance(value, str):
        return value
    return numbers.read(value)


def _test(comparison: Comparison, kind: FactKind, target: TargetSpec | None) -> Test:
    op, value = comparison.operator
    if isinstance(value, TargetRef):
        assert target is not None
        return Test(comparison.field, op, numbers.read(getattr(target, value.target)), ref=value.target)
    return Test(comparison.field, op, _constant(value), hidden=op == "eq" and comparison.field in kind.identity)


def _consistent(tests: Iterable[Test]) -> tuple[Test, ...] | None:
    """Drop repeated tests; None when two equality tests on one field can never both hold."""
    out: list[Test] = []
    equal: dict[str, Any] = {}
    for test in tests:
        if test.op == "eq":
            if test.field in equal and equal[test.field] != test.value:
                return None
            equal[test.field] = test.value
        if test not in out:
            out.append(test)
    return tuple(out)


def _identity(target: TargetSpec) -> list[Test]:
    return [Test("metric", "eq", target.metric, hidden=True), Test("segment", "eq", target.segment or "", hidden=True)]


def conjuncts(cond: Any, kind: FactKind, targets: list[TargetSpec] | None = None) -> list[Conjunct]:
    result: list[Conjunct] = []
    for alt in alternatives(cond):
        uses_target = any(isinstance(c.operator[1], TargetRef) for c in alt)
        scopes: list[TargetSpec | None] = list(targets or []) if uses_target else [None]
        for target in scopes:
            tests = ([] if target is None else _identity(target)) + [_test(c, kind, target) for c in alt]
            kept = _consistent(tests)
            if kept is not None and Conjunct(kept) not in result:
                result.append(Conjunct(kept))
    return result


# --- the rule sets -------------------------------------------------------------------------

def decide_rules(book: RuleBook, targets: list[TargetSpec]) -> list[Rule]:
    """Gaps, should-tune, golden validation and degradation, for these targets."""
    rules = [Rule(
        builtin.GAP_EXCEEDS, "exceeds", GAP,
        [Conjunct(tuple(_identity(t)) + (Test("gap", "gt", numbers.read(t.threshold), ref="threshold"),)) for t in targets],
        builtin.DESCRIPTIONS[builtin.GAP_EXCEEDS], book.where("targets"),
    )]
    for index, rule in enumerate(book.should_tune):
        kind = GAP if rule.about == "gap" else MEAN_GAP
        rules.append(Rule(rule.rule, "should_tune", kind, conjuncts(rule.when, kind, targets),
                          rule.description, book.where(f"should_tune.{index}")))
    golden = golden_kind(tuple(book.golden_deltas))
    validation = book.golden_validation
    for index, reject in enumerate(validation.reject):
        rules.append(Rule(reject.rule, "reject", golden, conjuncts(reject.when, golden), reject.description,
                          book.where(f"golden_validation.reject.{index}"), reason=reject.reason))
    for index, improved in enumerate(validation.improved):
        rules.append(Rule(improved.rule, "improved", golden, conjuncts(improved.when, golden), improved.description,
                          book.where(f"golden_validation.improved.{index}")))
    rules.append(Rule(
        builtin.METRIC_WORSENED, "rollback", BASELINE_CHANGE,
        [Conjunct((Test("metric", "eq", metric, hidden=True),
                   Test("relative_worsening", "gt", numbers.read(book.bound_for(metric)), ref="bound")))
         for metric in book.metrics],
        builtin.DESCRIPTIONS[builtin.METRIC_WORSENED], book.where("degradation"),
    ))
    return rules


def _param(name: str) -> Test:
    return Test("parameter", "eq", name, hidden=True)


def policy_rules(book: RuleBook) -> list[Rule]:
    """The policy gate for a proposed change, from autonomy and methodology."""
    autonomy, method = book.autonomy, book.methodology
    params = autonomy.parameters
    where = book.where

    def rule(name: str, role: str, conj: list[Conjunct], place: str, template: str | None = None) -> Rule:
        return Rule(name, role, PROPOSAL, conj, builtin.DESCRIPTIONS[name], where(place), template=template)

    def limit(name: str, value: int | float, ref: str) -> Test:
        return Test(name, "gte", numbers.read(value), ref=ref)

    rules = [
        rule(builtin.UNKNOWN_PARAMETER, "deny",
             [Conjunct(tuple(Test("parameter", "ne", p, hidden=True) for p in params))],
             "autonomy.parameters", "{parameter} is not in the autonomy table"),
        rule(builtin.NEVER_CHANGE, "deny",
             [Conjunct((_param(p),)) for p, pol in params.items() if pol.level == "never"],
             "autonomy.parameters", "{parameter} may never change (autonomy level: never)"),
        rule(builtin.BELOW_MINIMUM, "deny",
             [Conjunct((_param(p), Test("proposed", "lt", numbers.read(pol.minimum), ref="minimum"))) for p, pol in params.items()],
             "autonomy.parameters"),
        rule(builtin.ABOVE_MAXIMUM, "deny",
             [Conjunct((_param(p), Test("proposed", "gt", numbers.read(pol.maximum), ref="maximum"))) for p, pol in params.items()],
             "autonomy.parameters"),
        rule(builtin.STEP_TOO_LARGE, "deny",
             [Conjunct((_param(p), Test("step", "gt", numbers.read(pol.max_step), ref="max_step"))) for p, pol in params.items()],
             "autonomy.parameters"),
        rule(builtin.FROZEN_FACTOR, "deny", [Conjunct((Test("frozen", "eq", True),))], "autonomy"),
        rule(builtin.PARAMETER_BUSY, "deny",
             [Conjunct((Test("running_experiments_on_parameter", "gte", Decimal(1)),))]
             if autonomy.one_running_experiment_per_parameter else [],
             "autonomy.one_running_experiment_per_parameter", "another experiment on {parameter} is running"),
        rule(builtin.TOO_MANY_EXPERIMENTS, "deny",
             [Conjunct((limit("running_experiments", autonomy.max_parallel_experiments, "max_parallel_experiments"),))],
             "autonomy.max_parallel_experiments",
             "{running_experiments} other experiments are running; at most {max_parallel_experiments} may run at once"),
        rule(builtin.ONE_FACTOR_PER_CYCLE, "deny",
             [Conjunct((Test("factors_changed_this_cycle", "gte", Decimal(1)),))] if method.one_factor_per_cycle else [],
             "methodology.one_factor_per_cycle",
             "{factors_changed_this_cycle} factor(s) already changed this cycle; one factor per cycle"),
        rule(builtin.MAX_CYCLES, "deny",
             [Conjunct((limit("experiment_cycles", method.max_cycles_per_experiment, "max_cycles_per_experiment"),))],
             "methodology.max_cycles_per_experiment",
             "{parameter} has had {experiment_cycles} experiment cycles; at most {max_cycles_per_experiment}"),
        rule(builtin.NEEDS_APPROVAL, "approval",
             [Conjunct((_param(p),)) for p, pol in params.items() if pol.level == "approval"],
             "autonomy.parameters", "{parameter} changes only with a reviewer's approval (autonomy level: approval)"),
        rule(builtin.CAMPAIGN_NEEDS_APPROVAL, "approval",
             [Conjunct((Test("campaign_autonomy", "eq", level),)) for level in ("approval", "manual")],
             "autonomy", "the campaign's autonomy is {campaign_autonomy}: a reviewer decides"),
    ]
    return rules


def approval_rules(book: RuleBook) -> list[Rule]:
    if not book.autonomy.four_eyes:
        return []
    return [Rule(builtin.FOUR_EYES, "deny", PERSON, [], builtin.DESCRIPTIONS[builtin.FOUR_EYES],
                 book.where("autonomy.four_eyes"),
                 template="{approver} proposed this change and may not approve it (four eyes)", join=True)]


# --- durable-rules definitions ---------------------------------------------------------------

def _encode(value: Any) -> Any:
    return numbers.to_fixed(value) if isinstance(value, Decimal) else value


def _term(test: Test) -> dict[str, Any]:
    if test.op == "eq":
        return {test.field: _encode(test.value)}
    operator = {"ne": "$neq", "gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}[test.op]
    return {operator: {test.field: _encode(test.value)}}


def action_name(rule_index: int, conjunct_index: int) -> str:
    return f"r{rule_index}c{conjunct_index}"


def fields_tested(rules: list[Rule]) -> dict[str, tuple[str, ...]]:
    """Kind of fact -> the fields its rules compare; a kind no rule looks at is left out."""
    out: dict[str, list[str]] = {}
    for rule in rules:
        if rule.join:
            names = out.setdefault(rule.kind.name, [])
            names += [f for f in ("role", "person") if f not in names]
            continue
        for conj in rule.conjuncts:
            names = out.setdefault(rule.kind.name, [])
            for test in conj.tests:
                if test.field not in names:
                    names.append(test.field)
    return {kind: tuple(names) for kind, names in out.items()}


def definition(rules: list[Rule]) -> dict[str, Any]:
    """The durable-rules ruleset (plain JSON); ``run`` names the action of each entry."""
    out: dict[str, Any] = {}
    for ri, rule in enumerate(rules):
        if rule.join:
            name = action_name(ri, 0)
            out[name] = {"all": [
                {"p": {"$and": [{"kind": PERSON.name}, {"role": "proposer"}]}},
                {"a": {"$and": [{"kind": PERSON.name}, {"role": "approver"}, {"person": {"p": "person"}}]}},
            ], "run": name}
            continue
        for ci, conj in enumerate(rule.conjuncts):
            name = action_name(ri, ci)
            out[name] = {"all": [{"m": {"$and": [{"kind": rule.kind.name}] + [_term(t) for t in conj.tests]}}], "run": name}
    return out


# --- why, in words -----------------------------------------------------------------------------

def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | int | float):
        return numbers.text(value)
    return str(value)


def _words(test: Test, fact: dict[str, Any], kind: FactKind) -> str:
    label = kind.label(test.field)
    if test.field in kind.booleans:
        return label if (test.op == "eq") == bool(test.value) else f"not: {label}"
    rhs = (test.ref.replace("_", " ") + " " if test.ref else "") + _shown(test.value)
    current = "" if test.field in kind.text else _shown(fact.get(test.field))
    return " ".join(part for part in (label, current, SYMBOLS[test.op], rhs) if part)


class _Shown(dict):
    """A fact's fields as words, each made only when a template asks for it."""

    def __init__(self, fact: dict[str, Any]) -> None:
        super().__init__()
        self._fact = fact

    def __missing__(self, key: str) -> str:
        return _shown(self._fact[key])


def because(rule: Rule, conj: Conjunct | None, fact: dict[str, Any]) -> str:
    """Why ``rule`` fired on ``fact``, e.g. ``mean primary gap 0.087 > 0.05``."""
    if rule.template:
        values = _Shown(fact)
        for test in conj.tests if conj else ():
            if test.ref:
                values[test.ref] = _shown(test.value)
        return rule.template.format_map(values)
    assert conj is not None
    parts = [_words(t, fact, rule.kind) for t in conj.tests if not t.hidden]
    return " ".join(p for p in (rule.kind.subject(fact), " and ".join(parts)) if p)
