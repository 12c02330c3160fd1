"""The engine agrees with a small reference interpreter of the rule files (rules_reference.py).

Thousands of generated fact sets in the default run (and ten times as many with -m slow):
the packaged rules, campaign targets with segments, randomly written rule books
(conditions, bounds, autonomy tables), proposed changes and approvals. Values sit on
and around every threshold, plus numbers durable-rules cannot parse as JSON.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rules_reference as ref
from rules import Evaluator, RuleBook, load_rulebook
from rules.schema import (
    AllOf,
    AnyOf,
    Autonomy,
    Comparison,
    Degradation,
    FactRule,
    GoldenValidation,
    ImprovedRule,
    Methodology,
    ParameterPolicy,
    RejectRule,
    TargetRef,
)
from store.models import TargetSpec

BOOK = load_rulebook()
DEFAULT = Evaluator(BOOK)
METRICS = list(BOOK.metrics)
DELTAS = list(BOOK.golden_deltas)
SEGMENTS = ["preferences", "events"]
PRIORITIES = ["critical", "primary", "secondary"]
OPS = ["eq", "ne", "gt", "gte", "lt", "lte"]


def quick(n: int):
    return settings(max_examples=n, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --- values on and around the thresholds ------------------------------------------------
# Fact sets are drawn in batches from a Random seeded by hypothesis: cheap enough for
# thousands per run, reproducible (derandomize); a failure notes the facts it failed on.

TINY = [0.0, -0.0, 1e-05, -1e-05, 1e-09, 5e-10, 1.5e-09, 2.5e-09, 4.9999999995e-10]
BATCH = 10


def a_value(r: random.Random) -> float:
    pick = r.random()
    if pick < 0.55:
        return r.randint(-200, 1200) / 1000  # hits 0.05, 0.02, 0.1 ... exactly
    if pick < 0.85:
        return r.uniform(-10, 10)
    return r.choice(TINY)


def a_delta(r: random.Random) -> float:
    return r.randint(-80, 80) / 1000 if r.random() < 0.7 else a_value(r)


def a_limit(r: random.Random) -> float:
    return r.randint(0, 300) / 1000 if r.random() < 0.8 else float(r.randint(0, 20))


def a_fact_set(r: random.Random, segments: list[str] = ()) -> dict[str, Any]:
    facts: dict[str, Any] = {"metrics": {m: a_value(r) for m in METRICS}}
    if segments:
        facts["segments"] = {s: {m: a_value(r) for m in METRICS} for s in segments}
    if r.random() < 0.5:
        facts["golden_delta"] = {d: a_delta(r) for d in DELTAS}
    if r.random() < 0.5:
        chosen = r.sample(METRICS, r.randint(0, len(METRICS)))
        facts["baseline"] = {
            m: facts["metrics"][m] * r.choice([1, 0.9, 1.1, 0.5, 2]) if r.random() < 0.5 else a_value(r) for m in chosen
        }
    return facts


grid = st.integers(-200, 1200).map(lambda n: n / 1000)
limit = st.one_of(st.integers(0, 300).map(lambda n: n / 1000), st.integers(0, 20).map(float))
delta = st.one_of(st.integers(-80, 80).map(lambda n: n / 1000), grid)
randoms = st.integers(0, 2**32 - 1).map(random.Random)


def fired_key(facts: dict[str, Any]) -> tuple:
    if "gap" in facts:
        return ("gap", facts["metric"], facts["segment"])
    if "mean" in facts:
        return ("mean_gap", facts["priority"])
    if "relative_worsening" in facts:
        return ("baseline_change", facts["metric"])
    return ("golden",)


def assert_same_decision(evaluator: Evaluator, book: RuleBook, facts: dict[str, Any], targets=None) -> None:
    got = evaluator.decide(facts, targets=targets)
    want = ref.decide(book, facts, targets)
    try:
        assert [(g.metric, g.segment or "", ref.read(g.gap), g.exceeds_threshold) for g in got.gaps] == want["gaps"]
        assert got.should_tune == want["should_tune"]
        assert (got.validation and got.validation.model_dump()) == want["validation"]
        assert (got.degradation and got.degradation.model_dump()) == want["degradation"]
        assert {(f.rule, fired_key(f.facts)) for f in got.fired} == want["fired"]
        assert all(f.because for f in got.fired)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nfacts: {facts}\ntargets: {targets}") from None


# --- the packaged rules ----------------------------------------------------------------------

@quick(80)
@given(randoms)
def test_packaged_rules_match_the_reference(r: random.Random) -> None:
    for _ in range(BATCH):
        assert_same_decision(DEFAULT, BOOK, a_fact_set(r))


@st.composite
def campaign_targets(draw) -> list[TargetSpec]:
    keys = draw(st.lists(st.tuples(st.sampled_from(METRICS), st.sampled_from([None, *SEGMENTS])),
                         unique=True, min_size=1, max_size=6))
    return [TargetSpec(metric=m, direction=BOOK.metrics[m].direction, target=draw(grid), threshold=draw(limit),
                       priority=draw(st.sampled_from(PRIORITIES)), segment=s) for m, s in keys]


@quick(40)
@given(campaign_targets(), randoms)
def test_campaign_targets_and_segments_match_the_reference(targets: list[TargetSpec], r: random.Random) -> None:
    for _ in range(BATCH):
        assert_same_decision(DEFAULT, BOOK, a_fact_set(r, SEGMENTS), targets)


# --- rule books written at random ----------------------------------------------------------------

def comparisons(kind: str):
    if kind == "gap":
        text = {"priority": PRIORITIES, "metric": METRICS, "segment": ["", *SEGMENTS],
                "direction": ["higher_is_better", "lower_is_better"]}
        numbers = ["target", "current", "gap", "threshold"]
    elif kind == "mean_gap":
        text, numbers = {"priority": PRIORITIES}, ["mean", "count"]
    else:
        text, numbers = {}, DELTAS
    constant = st.one_of(grid, limit) if kind == "gap" else delta
    refs = st.sampled_from([TargetRef(target="threshold"), TargetRef(target="target")])
    bound = st.one_of(constant, refs) if kind == "gap" else constant
    numeric = st.one_of(
        st.builds(lambda f, op, v: Comparison.model_validate({"field": f, op: v}),
                  st.sampled_from(numbers), st.sampled_from(["gt", "gte", "lt", "lte"]), bound),
        st.builds(lambda f, op, v: Comparison.model_validate({"field": f, op: v}),
                  st.sampled_from(numbers), st.sampled_from(["eq", "ne"]), constant),
    )
    if not text:
        return numeric
    textual = st.sampled_from(sorted(text)).flatmap(
        lambda f: st.builds(lambda op, v: Comparison.model_validate({"field": f, op: v}),
                            st.sampled_from(["eq", "ne"]), st.sampled_from(text[f])))
    return st.one_of(numeric, textual)


def conditions(kind: str):
    return st.recursive(
        comparisons(kind),
        lambda inner: st.one_of(
            st.builds(lambda xs: AllOf(all=xs), st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda xs: AnyOf(any=xs), st.lists(inner, min_size=1, max_size=3)),
        ),
        max_leaves=5,
    )


CONDITIONS = {kind: conditions(kind) for kind in ("gap", "mean_gap", "golden")}


@st.composite
def rule_books(draw) -> RuleBook:
    tune = []
    for index in range(draw(st.integers(0, 3))):
        about = draw(st.sampled_from(["gap", "mean_gap"]))
        tune.append(FactRule(rule=f"tune-{index}", about=about, when=draw(CONDITIONS[about])))
    rejects = [RejectRule(rule=f"reject-{i}", reason=f"reason {i}", when=draw(CONDITIONS["golden"]))
               for i in range(draw(st.integers(0, 3)))]
    improved = [ImprovedRule(rule=f"improved-{i}", when=draw(CONDITIONS["golden"])) for i in range(draw(st.integers(0, 2)))]
    bounds = draw(st.dictionaries(st.sampled_from(METRICS), limit, max_size=3))
    return BOOK.model_copy(update={
        "should_tune": tune,
        "golden_validation": GoldenValidation(reject=rejects, improved=improved, apply_reason="applied",
                                              no_improvement_reason="not better"),
        "degradation": Degradation(default_bound=draw(limit), bounds=bounds),
        "targets": draw(campaign_targets()),
    })


@quick(80)
@given(rule_books(), randoms)
def test_random_rule_books_match_the_reference(book: RuleBook, r: random.Random) -> None:
    evaluator = Evaluator(book)
    for _ in range(4):
        assert_same_decision(evaluator, book, a_fact_set(r, SEGMENTS))


# --- the policy gate ---------------------------------------------------------------------------------

PARAMS = list(BOOK.autonomy.parameters)


def a_number(r: random.Random) -> float:
    return r.choice([
        lambda: float(r.randint(-5, 25)), lambda: r.randint(-2, 12) / 10, lambda: r.randint(0, 45) * 100.0,
        lambda: r.randint(0, 20), lambda: a_value(r),
    ])()


def a_change(r: random.Random, params: list[str]) -> dict[str, Any]:
    current = a_number(r)
    proposed = a_number(r) if r.random() < 0.5 else current + r.choice([-2, -0.1, 0.1, 0.2, 2, 400, -400, 0.3])
    return {
        "parameter": r.choice([*params, "temperature", "Top_K"]),
        "current": current, "proposed": proposed,
        "campaign_autonomy": r.choice(["auto", "approval", "manual"]),
        "frozen": r.random() < 0.3,
        "running_experiments_on_parameter": r.randint(0, 3),
        "running_experiments": r.randint(0, 5),
        "factors_changed_this_cycle": r.randint(0, 2),
        "experiment_cycles": r.randint(0, 12),
    }


def assert_same_policy(evaluator: Evaluator, book: RuleBook, facts: dict[str, Any]) -> None:
    got, want = evaluator.check_change(facts), ref.check_change(book, facts)
    assert (got.allowed, got.needs_approval, {f.rule for f in got.fired}) == \
        (want["allowed"], want["needs_approval"], want["fired"]), f"facts: {facts}"
    assert len(got.reasons) == len(got.fired)


@quick(100)
@given(randoms)
def test_packaged_policy_matches_the_reference(r: random.Random) -> None:
    for _ in range(BATCH):
        assert_same_policy(DEFAULT, BOOK, a_change(r, PARAMS))


@st.composite
def autonomy_books(draw) -> RuleBook:
    names = draw(st.lists(st.sampled_from(["top_k", "score_cutoff", "alpha", "beta"]), unique=True, max_size=4))
    params = {}
    for name in names:
        low, high = sorted((draw(st.integers(-5, 25)) / 2, draw(st.integers(-5, 25)) / 2))
        params[name] = ParameterPolicy(level=draw(st.sampled_from(["auto", "approval", "never"])), minimum=low,
                                       maximum=high, max_step=draw(st.sampled_from([0.1, 0.5, 1.0, 2.0, 400.0])))
    return BOOK.model_copy(update={
        "autonomy": Autonomy(max_parallel_experiments=draw(st.integers(1, 4)),
                             one_running_experiment_per_parameter=draw(st.booleans()),
                             four_eyes=draw(st.booleans()), parameters=params),
        "methodology": Methodology(batch_size=30, one_factor_per_cycle=draw(st.booleans()),
                                   max_cycles_per_experiment=draw(st.integers(1, 12)), max_cycles_per_campaign=15,
                                   continue_until="targets_met"),
    })


@quick(80)
@given(autonomy_books(), randoms)
def test_random_autonomy_tables_match_the_reference(book: RuleBook, r: random.Random) -> None:
    evaluator = Evaluator(book)
    params = list(book.autonomy.parameters) or ["top_k"]
    for _ in range(4):
        assert_same_policy(evaluator, book, a_change(r, params))
    facts = {"approver": r.choice(["ann", "Ann ", "bob"]), "proposer": r.choice(["ann", "bob"])}
    got, want = evaluator.check_approval(facts), ref.check_approval(book, facts)
    assert (got.allowed, {f.rule for f in got.fired}) == (want["allowed"], want["fired"])


names = st.text(alphabet="aAbB ßS\u0130i", min_size=1, max_size=4).filter(lambda s: s.strip())


@quick(300)
@given(names, names)
def test_four_eyes_matches_the_reference(approver: str, proposer: str) -> None:
    facts = {"approver": approver, "proposer": proposer}
    got, want = DEFAULT.check_approval(facts), ref.check_approval(BOOK, facts)
    assert (got.allowed, {f.rule for f in got.fired}) == (want["allowed"], want["fired"])


# --- the long harness -------------------------------------------------------------------------------

def slow(n: int):
    def mark(test):
        return pytest.mark.slow(quick(n)(test))

    return mark


@slow(1500)
@given(campaign_targets(), randoms)
def test_slow_many_fact_sets(targets: list[TargetSpec], r: random.Random) -> None:
    for _ in range(BATCH):
        facts = a_fact_set(r, SEGMENTS)
        assert_same_decision(DEFAULT, BOOK, facts)
        assert_same_decision(DEFAULT, BOOK, facts, targets)
        assert_same_policy(DEFAULT, BOOK, a_change(r, PARAMS))


@slow(600)
@given(rule_books(), autonomy_books(), randoms)
def test_slow_many_rule_books(book: RuleBook, policy_book: RuleBook, r: random.Random) -> None:
    evaluator = Evaluator(book)
    for _ in range(BATCH):
        assert_same_decision(evaluator, book, a_fact_set(r, SEGMENTS))
    policy = Evaluator(policy_book)
    for _ in range(BATCH):
        assert_same_policy(policy, policy_book, a_change(r, list(policy_book.autonomy.parameters) or ["x"]))
