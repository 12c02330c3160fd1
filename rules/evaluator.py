"""Evaluating fact sets by the rule book: every decision comes from rules that fired.

The evaluator validates a fact set, derives the facts, lets durable-rules find
every rule that holds, and only then assembles the answer from the firings by the
roles the rule files gave them (a reject rule's reason, an improvement, a rollback).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from operator import attrgetter
from typing import Any

from pydantic import ValidationError

from rules.book import RuleBook
from rules.compiler import Rule, approval_rules, because, decide_rules, policy_rules
from rules.decision import Decision, Degradation, Fired, Gap, PolicyDecision, Validation
from rules.engine import CompiledRuleset, Firing
from rules.errors import FactsInvalid
from rules.facts import Fact, TargetRow, approval_facts, change_facts, check_targets, decide_facts, target_rows
from store.models import TargetSpec

TARGET_SETS_KEPT = 8
_key_values = attrgetter(*(name for name in TargetSpec.model_fields if name != "relative_to_baseline"))


def _fired(rules: list[Rule], facts: list[Fact], firings: list[Firing]) -> list[Fired]:
    """One entry per rule and fact; alternatives that held on the same fact are joined."""
    if not firings:
        return []
    by_id = {fact.id: fact for fact in facts}
    grouped: dict[tuple[int, tuple[str, ...]], list[Firing]] = {}
    for firing in firings:
        grouped.setdefault((firing.rule_index, firing.fact_ids), []).append(firing)
    out = []
    for (rule_index, ids), group in grouped.items():
        rule = rules[rule_index]
        if rule.join:
            plain = {by_id[i].values["role"]: by_id[i].values["person"] for i in ids}
        else:
            plain = by_id[ids[0]].plain()
        reasons: list[str] = []
        for firing in group:
            conj = None if rule.join else rule.conjuncts[firing.conjunct_index]
            text = because(rule, conj, plain)
            if text not in reasons:
                reasons.append(text)
        out.append(Fired(rule=rule.name, because="; ".join(reasons), facts=plain))
    return out


def _as_targets(targets: list[Any]) -> list[TargetSpec]:
    try:
        return [t if isinstance(t, TargetSpec) else TargetSpec.model_validate(t) for t in targets]
    except ValidationError as exc:
        raise FactsInvalid(f"targets: {exc.errors()[0]['msg']}") from None


class Evaluator:
    """Compiled rules of one rule book; safe to call from several threads."""

    def __init__(self, rulebook: RuleBook) -> None:
        self.rulebook = rulebook
        self._lock = threading.Lock()
        # per target set, compiled and checked once: its ruleset, and its numbers read
        self._decide: OrderedDict[tuple, CompiledRuleset] = OrderedDict()
        self._rows: dict[tuple, tuple[TargetRow, ...]] = {}
        self._default_key = self._key(rulebook.targets)
        self._decide[self._default_key] = CompiledRuleset(decide_rules(rulebook, rulebook.targets), "decide")
        self._rows[self._default_key] = target_rows(rulebook.targets)
        self._policy = CompiledRuleset(policy_rules(rulebook), "policy")
        self._approval = CompiledRuleset(approval_rules(rulebook), "approval")

    @staticmethod
    def _key(targets: list[TargetSpec]) -> tuple:
        """Everything a target set is compiled and checked from (values with their types)."""
        values = [_key_values(t) for t in targets]
        return tuple((v, tuple(map(type, v))) for v in values)

    def _prepared(self, targets: list[TargetSpec]) -> tuple[tuple[TargetRow, ...], CompiledRuleset]:
        """A campaign's targets, checked, read and compiled on first use; a few sets are kept."""
        key = self._key(targets)
        with self._lock:
            compiled = self._decide.get(key)
            if compiled is None:
                check_targets(targets, self.rulebook.directions)
                rows = target_rows(targets)
                compiled = CompiledRuleset(decide_rules(self.rulebook, targets), "decide")
                self._decide[key], self._rows[key] = compiled, rows
            self._decide.move_to_end(key)
            while len(self._decide) > TARGET_SETS_KEPT + 1:
                oldest = next(k for k in self._decide if k != self._default_key)
                del self._decide[oldest], self._rows[oldest]
            return self._rows[key], compiled

    def rules(self) -> list[Rule]:
        """Every rule in force (the rule book's own targets), in decision order."""
        return self._decide[self._default_key].rules + self._policy.rules + self._approval.rules

    def decide(self, facts: dict[str, Any], targets: list[TargetSpec] | None = None) -> Decision:
        """Gaps, should-tune, golden validation and degradation for one fact set."""
        book = self.rulebook
        if targets is None:
            rows, compiled = self._rows[self._default_key], self._decide[self._default_key]
        else:
            rows, compiled = self._prepared(_as_targets(targets))
        given, derived = decide_facts(facts, rows, book.directions, tuple(book.golden_deltas))
        rules = compiled.rules
        firings = compiled.run(derived)
        fired = _fired(rules, derived, firings)
        roles = [(rules[f.rule_index], f) for f in firings]

        exceeded = {f.fact_ids[0] for rule, f in roles if rule.role == "exceeds"}
        gaps = []
        for fact in derived:
            if fact.kind.name != "gap":
                continue
            v = fact.plain()
            gaps.append(Gap(metric=v["metric"], target=v["target"], current=v["current"], gap=v["gap"],
                            threshold=v["threshold"], exceeds_threshold=fact.id in exceeded,
                            priority=v["priority"], segment=v["segment"] or None))
        validation = None
        if given.golden_delta is not None:
            rejected = [rule for rule, _ in roles if rule.role == "reject"]
            if rejected:
                validation = Validation(apply=False, reason=rejected[0].reason or rejected[0].name)
            elif any(rule.role == "improved" for rule, _ in roles):
                validation = Validation(apply=True, reason=book.golden_validation.apply_reason)
            else:
                validation = Validation(apply=False, reason=book.golden_validation.no_improvement_reason)
        degradation = None
        if given.baseline is not None:
            by_id = {fact.id: fact for fact in derived}
            worse = [by_id[f.fact_ids[0]].values["metric"] for rule, f in roles if rule.role == "rollback"]
            ordered = [name for name in given.baseline if name in worse]
            degradation = Degradation(rollback=bool(ordered), metrics=ordered)
        return Decision(
            gaps=gaps,
            should_tune=any(rule.role == "should_tune" for rule, _ in roles),
            validation=validation,
            degradation=degradation,
            fired=fired,
        )

    def _policy_decision(self, compiled: CompiledRuleset, derived: list[Fact]) -> PolicyDecision:
        rules = compiled.rules
        firings = compiled.run(derived)
        fired = _fired(rules, derived, firings)
        role_of = {rule.name: rule.role for rule in rules}
        denied = [f for f in fired if role_of[f.rule] == "deny"]
        approval = [f for f in fired if role_of[f.rule] == "approval"]
        return PolicyDecision(
            allowed=not denied,
            needs_approval=bool(approval),
            reasons=[f.because for f in denied + approval],
            fired=fired,
        )

    def check_change(self, facts: dict[str, Any]) -> PolicyDecision:
        """May this impact factor change, and does a reviewer have to approve it?"""
        _, derived = change_facts(facts)
        return self._policy_decision(self._policy, derived)

    def check_approval(self, facts: dict[str, Any]) -> PolicyDecision:
        """May ``approver`` approve a change ``proposer`` proposed (four eyes)?"""
        _, derived = approval_facts(facts)
        return self._policy_decision(self._approval, derived)
