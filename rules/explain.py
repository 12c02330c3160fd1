"""Why a fact set gets its decisions, as text a policy owner reads (``rules explain``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rules import numbers
from rules.compiler import Rule
from rules.decision import Decision, Fired, PolicyDecision
from rules.evaluator import Evaluator


def kind_of(facts: Any) -> str:
    """decide, change or approval, by the keys of the fact set."""
    if isinstance(facts, dict):
        if "approver" in facts or "proposer" in facts:
            return "approval"
        if "parameter" in facts or "proposed" in facts:
            return "change"
    return "decide"


def _where(rule: Rule) -> str:
    return f"  [{Path(rule.where.file).name}:{rule.where.line}]" if rule.where else ""


def _lines_for(fired: list[Fired], rules: dict[str, Rule], roles: set[str]) -> list[str]:
    return [f"  {f.rule}: {f.because}{_where(rules[f.rule])}" for f in fired if rules[f.rule].role in roles]


def _not_fired(fired: list[Fired], rules: list[Rule]) -> list[str]:
    names = {f.rule for f in fired}
    quiet = [r.name for r in rules if r.in_force and r.name not in names]
    return [f"did not fire: {', '.join(dict.fromkeys(quiet))}"] if quiet else []


def _header(evaluator: Evaluator) -> str:
    book = evaluator.rulebook
    source = str(book.source) if book.source else "packaged defaults"
    return f"rules: {source} (fingerprint {book.fingerprint[:12]})"


def explain_decision(evaluator: Evaluator, decision: Decision, rules: list[Rule]) -> str:
    by_name = {r.name: r for r in rules}
    out = [_header(evaluator), ""]
    out.append(f"should tune: {'yes' if decision.should_tune else 'no'}")
    out += _lines_for(decision.fired, by_name, {"should_tune"}) or ["  no should-tune rule fired"]
    out += ["", "gaps (target - current where higher is better, current - target where lower is better):"]
    rows = [("metric", "target", "current", "gap", "threshold", "exceeds")]
    for g in decision.gaps:
        name = g.metric + (f" [{g.segment}]" if g.segment else "")
        rows.append((name, numbers.text(g.target), numbers.text(g.current), numbers.text(g.gap),
                     numbers.text(g.threshold), "yes" if g.exceeds_threshold else "no"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out += ["  " + "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)).rstrip()
            for row in rows]
    out += _lines_for(decision.fired, by_name, {"exceeds"})
    out.append("")
    if decision.validation is None:
        out.append("golden validation: not asked (no golden_delta)")
    else:
        verdict = "apply" if decision.validation.apply else "do not apply"
        out.append(f"golden validation: {verdict} ({decision.validation.reason})")
        out += _lines_for(decision.fired, by_name, {"reject", "improved"})
        rejects = [r.name for r in rules if r.role == "reject"]
        if rejects:
            out.append(f"  reject rules, first that fires decides: {', '.join(rejects)}")
    out.append("")
    if decision.degradation is None:
        out.append("degradation: not asked (no baseline)")
    elif decision.degradation.rollback:
        out.append(f"degradation: roll back ({', '.join(decision.degradation.metrics)})")
        out += _lines_for(decision.fired, by_name, {"rollback"})
    else:
        out.append("degradation: none past the bound")
    out += [""] + _not_fired(decision.fired, rules)
    return "\n".join(out).rstrip() + "\n"


def explain_policy(evaluator: Evaluator, decision: PolicyDecision, rules: list[Rule], what: str) -> str:
    by_name = {r.name: r for r in rules}
    verdict = "allowed" if decision.allowed else "denied"
    if decision.needs_approval:
        verdict += ", needs a reviewer's approval"
    out = [_header(evaluator), "", f"{what}: {verdict}"]
    out += _lines_for(decision.fired, by_name, {"deny", "approval"}) or ["  no rule fired"]
    out += [""] + _not_fired(decision.fired, rules)
    return "\n".join(out).rstrip() + "\n"


def explain(evaluator: Evaluator, facts: Any, kind: str = "auto") -> tuple[str, dict[str, Any]]:
    """(text, the decision as JSON) for one fact set; raises FactsInvalid."""
    kind = kind_of(facts) if kind == "auto" else kind
    if kind == "change":
        decision = evaluator.check_change(facts)
        rules = [r for r in evaluator.rules() if r.role in ("deny", "approval") and r.kind.name == "proposal"]
        what = f"change of {facts['parameter']} from {numbers.text(facts['current'])} to {numbers.text(facts['proposed'])}"
        return explain_policy(evaluator, decision, rules, what), decision.model_dump(mode="json")
    if kind == "approval":
        decision = evaluator.check_approval(facts)
        rules = [r for r in evaluator.rules() if r.join]
        what = f"approval by {facts['approver']} of a change proposed by {facts['proposer']}"
        return explain_policy(evaluator, decision, rules, what), decision.model_dump(mode="json")
    result = evaluator.decide(facts)
    rules = [r for r in evaluator.rules() if r.role in ("exceeds", "should_tune", "reject", "improved", "rollback")]
    return explain_decision(evaluator, result, rules), result.model_dump(mode="json")
