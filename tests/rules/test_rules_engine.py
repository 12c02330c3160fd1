"""How durable-rules is held: facts validated first, no state left behind, threads, memory."""

from __future__ import annotations

import gc
import json
import threading
import weakref

import durable_rules_engine
import pytest

from rules_samples import MET, NO_CHANGE, SEED_METRICS, change
from rules import EngineError, Evaluator, FactsInvalid, RuleBook
from rules.engine import SESSION, CompiledRuleset, Firing
from rules.evaluator import TARGET_SETS_KEPT
from store.models import TargetSpec


def test_no_fact_outlives_its_evaluation(evaluator: Evaluator) -> None:
    for index in range(50):
        value = index / 100
        evaluator.decide({"metrics": {**SEED_METRICS, "retrieval_recall": value},
                          "golden_delta": {**NO_CHANGE, "recall_delta": value - 0.2},
                          "baseline": {"retrieval_recall": 0.5}})
        evaluator.check_change(change(proposed=index))
        evaluator.check_approval({"approver": "ann", "proposer": "ann" if index % 2 else "bob"})
    compiled = list(evaluator._decide.values()) + [evaluator._policy, evaluator._approval]
    assert all(c.leftover_facts() == [] for c in compiled)


def _fails_once(monkeypatch: pytest.MonkeyPatch, name: str, after: int = 0) -> None:
    """durable-rules' ``name`` raises on its call number ``after`` + 1, then works again."""
    real = getattr(durable_rules_engine, name)
    calls = []

    def flaky(*args):
        calls.append(args)
        if len(calls) == after + 1:
            raise durable_rules_engine.error(f"{name} failed on purpose")
        return real(*args)

    monkeypatch.setattr(durable_rules_engine, name, flaky)


@pytest.mark.parametrize(("name", "after", "warm"), [
    ("complete_and_start_action", 0, True),  # a firing started and not completed: it would block the session
    ("complete_and_start_action", 2, True),
    ("retract_facts", 0, True),              # every fact still held
    ("assert_facts", 0, True),
    ("assert_facts", 0, False),              # before the session ever existed
])
def test_an_evaluation_that_fails_half_way_leaves_nothing_behind(
        book: RuleBook, monkeypatch: pytest.MonkeyPatch, name: str, after: int, warm: bool) -> None:
    busy = change(proposed=50, frozen=True, campaign_autonomy="manual", running_experiments=9)
    want = Evaluator(book).check_change(busy)
    evaluator = Evaluator(book)
    if warm:
        evaluator.check_change(change())
    with monkeypatch.context() as patch:
        _fails_once(patch, name, after)
        with pytest.raises(EngineError, match="failed on purpose"):
            evaluator.check_change(busy)
    assert evaluator._policy.leftover_facts() == []
    assert evaluator.check_change(busy) == want and evaluator.check_change(change()).allowed


def test_a_session_that_could_not_be_cleared_is_cleared_before_the_next_evaluation(
        book: RuleBook, monkeypatch: pytest.MonkeyPatch) -> None:
    busy = change(frozen=True)
    evaluator = Evaluator(book)
    with monkeypatch.context() as patch:
        _fails_once(patch, "retract_facts", 0)
        _fails_once(patch, "get_facts", 0)  # the clearing after the failure fails too
        with pytest.raises(EngineError, match="retract_facts failed on purpose"):
            evaluator.check_change(busy)
    assert evaluator._policy._dirty and [f["id"] for f in evaluator._policy.leftover_facts()] == ["p"]
    assert evaluator.check_change(change()).allowed  # not denied by the frozen fact left behind
    assert evaluator._policy.leftover_facts() == [] and not evaluator._policy._dirty


@pytest.mark.parametrize("stray_id", ["p", "q"])
def test_a_fact_already_held_is_refused_not_mixed_in(book: RuleBook, stray_id: str) -> None:
    evaluator = Evaluator(book)
    policy = evaluator._policy
    evaluator.check_change(change())
    stray = {"id": stray_id, "sid": SESSION, "kind": "proposal", "parameter": "top_k", "frozen": True}
    durable_rules_engine.assert_facts(policy._handle, json.dumps([stray]))
    with pytest.raises(EngineError, match="still asserted from an earlier evaluation"):
        evaluator.check_change(change(frozen=stray_id == "p"))  # same id, or a firing on another fact
    assert policy.leftover_facts() == []
    assert evaluator.check_change(change()).allowed


def test_firings_are_read_from_the_engines_message_whatever_its_layout(evaluator: Evaluator) -> None:
    """The quick reading of a firing (action and fact id up front) and the full JSON reading agree."""
    policy, approval = evaluator._policy, evaluator._approval
    fact = {"id": "p", "sid": SESSION, "kind": "proposal", "parameter": "top_k"}
    compact = json.dumps({"r5c0": {"m": fact}}, separators=(",", ":"))
    spaced = json.dumps({"r5c0": {"m": fact}}, indent=1)
    reordered = json.dumps({"r5c0": {"m": {"kind": "proposal", "id": "p"}}})
    joined = json.dumps({"r0c0": {"p": {"id": "proposer"}, "a": {"id": "approver"}}}, separators=(",", ":"))
    read: list[Firing] = []
    errors: list[BaseException] = []
    for message in (compact, spaced, reordered):
        policy._record(message, read, errors)
    approval._record(joined, read, errors)
    assert errors == []
    assert read == [Firing(5, 0, ("p",))] * 3 + [Firing(0, 0, ("proposer", "approver"))]
    for broken in ('{"nope":{"m":{"id":"p",', '{"r999c0":{"m":{"id":"p","kind":"x"}}}', "[]"):
        policy._record(broken, read, errors)  # recorded as an error, never raised mid-firing
    assert len(errors) == 3 and len(read) == 4


def test_the_same_facts_twice_give_the_same_answer(evaluator: Evaluator) -> None:
    facts = {"metrics": SEED_METRICS, "golden_delta": NO_CHANGE, "baseline": SEED_METRICS}
    assert evaluator.decide(facts) == evaluator.decide(facts)
    assert evaluator.check_approval({"approver": "a", "proposer": "a"}) == evaluator.check_approval({"approver": "a", "proposer": "a"})


@pytest.mark.parametrize("tiny", [1e-05, 5e-324, -0.0, 1.5e-07, 123456.000000001])
def test_numbers_durable_rules_cannot_parse_are_given_as_fixed_point(evaluator: Evaluator, tiny: float) -> None:
    # durable-rules' JSON reader crashes the process on "1e-05"; facts reach it as integers
    decision = evaluator.decide({"metrics": {name: tiny for name in MET}, "golden_delta": {k: tiny for k in NO_CHANGE}})
    assert len(decision.gaps) == 6


def test_text_that_looks_like_a_number_is_refused(evaluator: Evaluator) -> None:
    # durable-rules would compare "9" > 3 as true
    with pytest.raises(FactsInvalid, match=r"metrics.hallucination_rate: expected a number, got the text '9'"):
        evaluator.decide({"metrics": {**MET, "hallucination_rate": "9"}})
    with pytest.raises(FactsInvalid, match="a fact set must be a JSON object"):
        evaluator.decide([1, 2])  # type: ignore[arg-type]
    with pytest.raises(FactsInvalid, match="running_experiments: expected a whole number"):
        evaluator.check_change(change(running_experiments=1.5))
    with pytest.raises(FactsInvalid, match="frozen: expected true or false"):
        evaluator.check_change(change(frozen="no"))
    with pytest.raises(FactsInvalid, match="campaign_autonomy: expected 'auto', 'approval' or 'manual'"):
        evaluator.check_change(change(campaign_autonomy="full"))
    with pytest.raises(FactsInvalid, match="missing key 'experiment_cycles'"):
        evaluator.check_change({k: v for k, v in change().items() if k != "experiment_cycles"})
    with pytest.raises(FactsInvalid, match="approver: must not be empty"):
        evaluator.check_approval({"approver": "  ", "proposer": "ann"})


def test_decisions_come_from_the_engine(evaluator: Evaluator, monkeypatch: pytest.MonkeyPatch) -> None:
    """With durable-rules silenced, nothing is decided: no Python `if` stands in for a rule."""
    facts = {"metrics": {**SEED_METRICS, "hallucination_rate": 0.5},
             "golden_delta": {**NO_CHANGE, "precision_delta": 0.3}, "baseline": {"retrieval_precision": 0.99}}
    loud = evaluator.decide(facts)
    assert loud.should_tune and loud.validation.apply and loud.degradation.rollback and loud.gaps[0].exceeds_threshold
    monkeypatch.setattr(CompiledRuleset, "run", lambda self, facts: [])
    quiet = evaluator.decide(facts)
    assert not quiet.should_tune and not quiet.fired and not quiet.gaps[0].exceeds_threshold
    assert quiet.validation.model_dump() == {"apply": False, "reason": "no improvement on golden set"}
    assert quiet.degradation.model_dump() == {"rollback": False, "metrics": []}
    assert evaluator.check_change(change(parameter="nope", proposed=99)).allowed is True


def test_compiled_rules_look_at_one_fact_each_except_four_eyes(evaluator: Evaluator) -> None:
    compiled = [evaluator._decide[evaluator._default_key], evaluator._policy, evaluator._approval]
    for ruleset in compiled:
        for name, entry in ruleset.definition.items():
            assert entry["run"] == name
            if ruleset is evaluator._approval:
                assert [next(iter(part)) for part in entry["all"]] == ["p", "a"]
            else:
                assert len(entry["all"]) == 1 and set(entry["all"][0]) == {"m"}


def test_threads_share_an_evaluator(evaluator: Evaluator) -> None:
    cases = [{"metrics": {**SEED_METRICS, "retrieval_precision": i / 40}, "baseline": {"error_rate": 0.004}} for i in range(40)]
    expected = [evaluator.decide(c) for c in cases]
    results: dict[int, list] = {}

    def work(n: int) -> None:
        results[n] = [evaluator.decide(c) for c in cases]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[n] == expected for n in range(4))


def test_rulesets_have_unique_names_and_are_freed(book: RuleBook) -> None:
    first, second = Evaluator(book), Evaluator(book)
    names = {c.name for e in (first, second) for c in [*e._decide.values(), e._policy, e._approval]}
    assert len(names) == 6
    probe = weakref.ref(first._policy)
    del first
    gc.collect()
    assert probe() is None  # its finalizer freed the C ruleset
    assert second.check_change(change()).allowed


def test_campaign_targets_are_compiled_once_and_kept_few(evaluator: Evaluator) -> None:
    def targets(threshold: float) -> list[TargetSpec]:
        return [TargetSpec(metric="retrieval_recall", direction="higher_is_better", target=0.7,
                           threshold=threshold, priority="critical", segment="events")]

    facts = {"metrics": MET, "segments": {"events": {"retrieval_recall": 0.6}}}
    assert evaluator.decide(facts, targets=targets(0.05)).should_tune is True
    assert evaluator.decide(facts, targets=targets(0.1)).should_tune is False
    for index in range(TARGET_SETS_KEPT + 4):
        evaluator.decide(facts, targets=targets(0.2 + index / 100))
    assert len(evaluator._decide) <= TARGET_SETS_KEPT + 1
    assert evaluator.decide({"metrics": SEED_METRICS}).should_tune is True  # the rule book's own targets stay


@pytest.mark.parametrize(("target", "words"), [
    (dict(metric="recall"), "unknown metric 'recall'"),
    (dict(direction="lower_is_better"), "retrieval_recall is higher_is_better"),
    (dict(threshold=float("nan")), "finite number"),
    (dict(threshold=-0.1), "must not be negative"),
    (dict(target=1e12), "outside"),
])
def test_bad_campaign_targets_are_refused(evaluator: Evaluator, target: dict, words: str) -> None:
    spec = dict(metric="retrieval_recall", direction="higher_is_better", target=0.7, threshold=0.1, priority="primary")
    for _ in range(2):  # a refused target set is never kept as checked
        with pytest.raises(FactsInvalid, match=words):
            evaluator.decide({"metrics": MET}, targets=[TargetSpec(**{**spec, **target})])


def test_a_target_changed_in_place_is_compiled_again(evaluator: Evaluator) -> None:
    target = TargetSpec(metric="retrieval_recall", direction="higher_is_better", target=0.7, threshold=0.05,
                        priority="critical")
    facts = {"metrics": {**MET, "retrieval_recall": 0.6}}
    assert evaluator.decide(facts, targets=[target]).should_tune is True
    target.threshold = 0.1
    assert evaluator.decide(facts, targets=[target]).should_tune is False
    target.threshold = -0.1
    with pytest.raises(FactsInvalid, match="must not be negative"):
        evaluator.decide(facts, targets=[target])


def test_missing_segment_value_is_refused(evaluator: Evaluator) -> None:
    spec = TargetSpec(metric="retrieval_recall", direction="higher_is_better", target=0.7, threshold=0.1,
                      priority="primary", segment="events")
    with pytest.raises(FactsInvalid, match=r"segments.events.retrieval_recall: missing"):
        evaluator.decide({"metrics": MET}, targets=[spec])


def test_settings_switch_policy_rules(book: RuleBook) -> None:
    params = dict(book.autonomy.parameters)
    params["top_k"] = params["top_k"].model_copy(update={"level": "never"})
    relaxed = book.model_copy(update={
        "autonomy": book.autonomy.model_copy(update={"parameters": params, "four_eyes": False,
                                                     "one_running_experiment_per_parameter": False}),
        "methodology": book.methodology.model_copy(update={"one_factor_per_cycle": False}),
    })
    evaluator = Evaluator(relaxed)
    never = evaluator.check_change(change())
    assert [f.rule for f in never.fired] == ["never-change"] and never.reasons == ["top_k may never change (autonomy level: never)"]
    busy = evaluator.check_change(change(parameter="score_cutoff", current=0.1, proposed=0.2,
                                         running_experiments_on_parameter=2, factors_changed_this_cycle=3))
    assert busy.allowed is True
    assert evaluator.check_approval({"approver": "ann", "proposer": "ann"}).allowed is True
    in_force = {r.name for r in evaluator.rules() if r.in_force}
    assert {"parameter-busy", "one-factor-per-cycle", "four-eyes"}.isdisjoint(in_force)
    assert {"never-change", "needs-approval"} <= in_force
