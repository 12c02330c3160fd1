"""Rule tests: YAML beside the rules, given facts -> the decisions expected.

    decide:
      - name: seed example
        facts: {metrics: {...}, golden_delta: {...}, baseline: {...}}
        targets: [...]            # optional: a campaign's own targets
        expect:
          should_tune: true
          gaps: {hallucination_rate: {gap: 0.02, exceeds_threshold: false}}
          validation: {apply: false, reason: no improvement on golden set}   # null: none
          degradation: {rollback: true, metrics: [retrieval_precision]}       # null: none
          fired: [mean-primary-gap]     # must fire
          not_fired: [critical-gap]     # must not fire
    change:   [{name, facts: {parameter, current, proposed, ...}, expect: {allowed, needs_approval, fired, not_fired}}]
    approval: [{name, facts: {approver, proposer}, expect: {...}}]

A report also names the rules in force that no test made fire.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from rules import builtin, numbers
from rules.book import DEFAULTS_DIR, RuleBook, load_rulebook, rule_files
from rules.decision import Decision, PolicyDecision
from rules.errors import FactsInvalid, RuleError, RuleFilesInvalid
from rules.evaluator import Evaluator
from rules.messages import humanize
from rules.schema import RuleName, Strict, TargetEntry, Text
from rules.yamlsource import Document, parse_document


class GapExpect(Strict):
    target: float | None = None
    current: float | None = None
    gap: float | None = None
    threshold: float | None = None
    exceeds_threshold: bool | None = None
    priority: str | None = None


class ValidationExpect(Strict):
    apply: bool
    reason: str | None = None


class DegradationExpect(Strict):
    rollback: bool
    metrics: list[str] | None = None


class DecideExpect(Strict):
    should_tune: bool | None = None
    gaps: dict[str, GapExpect] = Field(default_factory=dict, description="by metric, or metric/segment")
    validation: ValidationExpect | None = None
    degradation: DegradationExpect | None = None
    fired: list[RuleName] = Field(default_factory=list)
    not_fired: list[RuleName] = Field(default_factory=list)


class PolicyExpect(Strict):
    allowed: bool | None = None
    needs_approval: bool | None = None
    fired: list[RuleName] = Field(default_factory=list)
    not_fired: list[RuleName] = Field(default_factory=list)


class DecideCase(Strict):
    name: Text
    facts: dict[str, Any]
    targets: list[TargetEntry] | None = None
    expect: DecideExpect


class PolicyCase(Strict):
    name: Text
    facts: dict[str, Any]
    expect: PolicyExpect


class RuleTestFile(Strict):
    """A rule test file: cases for decide, for proposed changes and for approvals."""

    decide: list[DecideCase] = Field(default_factory=list)
    change: list[PolicyCase] = Field(default_factory=list)
    approval: list[PolicyCase] = Field(default_factory=list)


class RuleTestFailure(BaseModel):
    name: str
    file: str
    line: int
    problems: list[str]

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.name}: " + "; ".join(self.problems)


class RuleTestReport(BaseModel):
    passed: list[str]
    failed: list[RuleTestFailure]
    unexercised: list[str]
    errors: list[RuleError]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.errors


def _same(expected: float, actual: float) -> bool:
    return numbers.read(expected) == numbers.read(actual)


def _fired_problems(fired: list[str], want: list[str], forbid: list[str]) -> list[str]:
    problems = [f"rule {name} did not fire" for name in want if name not in fired]
    problems += [f"rule {name} fired" for name in forbid if name in fired]
    return problems


def _check_decide(expect: DecideExpect, got: Decision) -> list[str]:
    problems: list[str] = []
    given = expect.model_fields_set
    if expect.should_tune is not None and got.should_tune != expect.should_tune:
        problems.append(f"should_tune is {str(got.should_tune).lower()}, expected {str(expect.should_tune).lower()}")
    gaps = {g.metric + (f"/{g.segment}" if g.segment else ""): g for g in got.gaps}
    for key, want in expect.gaps.items():
        gap = gaps.get(key)
        if gap is None:
            problems.append(f"no gap for {key}")
            continue
        for name in want.model_fields_set:
            w, g = getattr(want, name), getattr(gap, name)
            if isinstance(w, float | int) and not isinstance(w, bool):
                equal = _same(w, g)
            else:
                equal = w == g
            if not equal:
                problems.append(f"{key} {name} is {g}, expected {w}")
    if "validation" in given:
        want_v, got_v = expect.validation, got.validation
        if want_v is None or got_v is None:
            if want_v != got_v:
                problems.append(f"validation is {got_v and got_v.model_dump()}, expected {want_v and want_v.model_dump()}")
        else:
            if got_v.apply != want_v.apply:
                problems.append(f"validation apply is {str(got_v.apply).lower()}, expected {str(want_v.apply).lower()} ({got_v.reason})")
            if want_v.reason is not None and got_v.reason != want_v.reason:
                problems.append(f"validation reason is '{got_v.reason}', expected '{want_v.reason}'")
    if "degradation" in given:
        want_d, got_d = expect.degradation, got.degradation
        if want_d is None or got_d is None:
            if want_d != got_d:
                problems.append(f"degradation is {got_d and got_d.model_dump()}, expected {want_d and want_d.model_dump()}")
        else:
            if got_d.rollback != want_d.rollback:
                problems.append(f"rollback is {str(got_d.rollback).lower()}, expected {str(want_d.rollback).lower()}")
            if want_d.metrics is not None and got_d.metrics != want_d.metrics:
                problems.append(f"degraded metrics are {got_d.metrics}, expected {want_d.metrics}")
    return problems + _fired_problems([f.rule for f in got.fired], expect.fired, expect.not_fired)


def _check_policy(expect: PolicyExpect, got: PolicyDecision) -> list[str]:
    problems: list[str] = []
    if expect.allowed is not None and got.allowed != expect.allowed:
        problems.append(f"allowed is {str(got.allowed).lower()}, expected {str(expect.allowed).lower()}"
                        + (f" ({'; '.join(got.reasons)})" if got.reasons else ""))
    if expect.needs_approval is not None and got.needs_approval != expect.needs_approval:
        problems.append(f"needs_approval is {str(got.needs_approval).lower()}, expected {str(expect.needs_approval).lower()}")
    return problems + _fired_problems([f.rule for f in got.fired], expect.fired, expect.not_fired)


def _unknown_names(doc: Document, parsed: RuleTestFile, known: set[str]) -> list[RuleError]:
    errors = []
    for group in ("decide", "change", "approval"):
        for index, case in enumerate(getattr(parsed, group)):
            for which in ("fired", "not_fired"):
                for pos, name in enumerate(getattr(case.expect, which)):
                    if name not in known:
                        errors.append(doc.error((group, index, "expect", which, pos), f"no rule is named '{name}'"))
    return errors


def tests_dir_for(path: Path | None) -> Path:
    if path is None:
        return DEFAULTS_DIR / "tests"
    path = Path(path)
    return (path if path.is_dir() else path.parent) / "tests"


def run_rule_tests(path: Path | None = None, tests: Path | None = None) -> RuleTestReport:
    """Run the rule tests of the rule book at ``path`` (None: the packaged defaults)."""
    report = RuleTestReport(passed=[], failed=[], unexercised=[], errors=[])
    try:
        book: RuleBook = load_rulebook(path)
    except RuleFilesInvalid as exc:
        report.errors.extend(exc.errors)
        return report
    evaluator = Evaluator(book)
    in_force = [rule.name for rule in evaluator.rules() if rule.in_force]
    known = {rule.name for rule in evaluator.rules()} | builtin.NAMES
    folder = Path(tests) if tests is not None else tests_dir_for(path)
    files = rule_files(folder) if folder.is_dir() else ([folder] if folder.is_file() else [])
    if not files:
        report.errors.append(RuleError(file=str(folder), line=1, column=1, message="no rule tests (*.yaml) here"))
        return report
    exercised: set[str] = set()
    for file in files:
        try:
            doc = parse_document(file.read_bytes(), str(file))
            if not isinstance(doc.data, dict):
                raise RuleFilesInvalid([doc.error((), "expected decide:, change: or approval: lists")])
            parsed = RuleTestFile.model_validate(doc.data, strict=True)
        except RuleFilesInvalid as exc:
            report.errors.extend(exc.errors)
            continue
        except ValidationError as exc:
            report.errors.extend(doc.error(p, m, key=k) for p, m, k in humanize(exc, doc.data, RuleTestFile))
            continue
        except OSError as exc:
            report.errors.append(RuleError(file=str(file), line=1, column=1, message=f"cannot read: {exc}"))
            continue
        unknown = _unknown_names(doc, parsed, known)
        if unknown:
            report.errors.extend(unknown)
            continue
        for group in ("decide", "change", "approval"):
            for index, case in enumerate(getattr(parsed, group)):
                line = doc.position((group, index))[0]
                try:
                    if group == "decide":
                        targets = None if case.targets is None else [t.spec() for t in case.targets]
                        got = evaluator.decide(case.facts, targets=targets)
                        problems = _check_decide(case.expect, got)
                    elif group == "change":
                        got = evaluator.check_change(case.facts)
                        problems = _check_policy(case.expect, got)
                    else:
                        got = evaluator.check_approval(case.facts)
                        problems = _check_policy(case.expect, got)
                    exercised.update(f.rule for f in got.fired)
                except FactsInvalid as exc:
                    problems = [f"facts refused: {exc}"]
                if problems:
                    report.failed.append(RuleTestFailure(name=case.name, file=str(file), line=line, problems=problems))
                else:
                    report.passed.append(case.name)
    report.unexercised = [name for name in dict.fromkeys(in_force) if name not in exercised]
    return report


def rule_tests_json_schema() -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **RuleTestFile.model_json_schema()}
