"""Sequential A/B: a batch emulated in parts, and interim verdicts on part of a batch.

An interim look may end an A/B early only on strong evidence. The error-control tests
compare the sequential procedure (looks at 10 and 20 of 30 dialogues, then the whole
batch) with the whole-batch verdict under a null hypothesis made from real batches: each
dialogue's two arms are swapped by a coin flip, so that no configuration is better in
expectation and every "winner" is a false one.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from manager.ports import METRICS, Batch, SensorEvent, Verdict
from maas import judge
from maas.datafiles import DataFileError
from maas.emulator import MAX_DIALOGUES, EmbeddedEmulator
from maas.student import Student
from maas.student_model import load_student_model
from maas.verdict import InterimRule, VerdictRule, load_verdict_rule, paired_verdict
from maas.world import emulator_world

MODEL = load_student_model()
DEFAULTS = MODEL.defaults()
RULE = load_verdict_rule()
LOOKS = (10, 20)  # interim looks of the schedule these settings are made for, then the whole 30
N = 30


@pytest.fixture(scope="module")
def emu():
    return EmbeddedEmulator(Student(MODEL), emulator_world())


def verdict(baseline: Batch, variant: Batch, rule: VerdictRule = RULE) -> Verdict:
    return paired_verdict(baseline, variant, rule, judge.LOWER_IS_BETTER)


def first(batch: Batch, k: int) -> Batch:
    """The part of ``batch`` that its first ``k`` dialogues make (as if emulated alone)."""
    keep = list(dict.fromkeys(e.dialogue_id for e in batch.events))[:k]
    return batch.model_copy(update={"events": [e for e in batch.events if e.dialogue_id in keep], "dialogues": k})


def sequential(baseline: Batch, variant: Batch) -> tuple[str, int]:
    """The outcome of looks at LOOKS then the whole batch, and where it stopped."""
    for k in LOOKS:
        outcome = verdict(baseline, first(variant, k)).outcome
        if outcome != "inconclusive":
            return outcome, k
    return verdict(baseline, variant).outcome, N


# -- a batch in parts -------------------------------------------------------------------


def test_a_batch_run_in_parts_is_the_whole_batch(emu):
    params = {**DEFAULTS, "score_cutoff": 0.5}
    whole = emu.run_batch(params, 12, seed=4)
    parts = [emu.run_batch(params, 5, seed=4), emu.run_batch(params, 7, seed=4, start=5)]
    assert [e for p in parts for e in p.events] == whole.events  # same dialogues, same luck
    assert parts[1].dialogues == 7 and parts[1].id != whole.id and "-s5-" in parts[1].id
    assert emu.dialogues(4, 7, start=5) == emu.dialogues(4, 12)[5:]


@pytest.mark.parametrize("start", [-1, True, 1.5, MAX_DIALOGUES])
def test_a_part_must_lie_within_the_batch_limit(emu, start):
    with pytest.raises(ValueError, match="start: expected an integer"):
        emu.run_batch(DEFAULTS, 2, seed=1, start=start)


# -- interim looks --------------------------------------------------------------------------


def test_a_clear_winner_is_decided_on_the_first_look(emu):
    base = emu.run_batch(DEFAULTS, N, seed=100)
    v = verdict(base, emu.run_batch({**DEFAULTS, "score_cutoff": 0.5}, 10, seed=100))
    assert v.outcome == "winner"
    assert v.reason.startswith("interim look, significantly better: retrieval_precision")
    assert "(10 of 30 paired dialogues, 99.8% bootstrap intervals)" in v.reason
    assert v.confidence == RULE.interim.confidence != RULE.confidence  # what the TUI's header shows
    for d in v.deltas:  # the look's own evidence: every loss within tolerance is ruled out
        worst = d.ci_high if d.metric in judge.LOWER_IS_BETTER else -d.ci_low
        assert worst <= RULE.metrics[d.metric].tolerance


def test_a_clear_loser_is_decided_on_the_first_look(emu):
    good = {**DEFAULTS, "abstain_threshold": 0.5, "score_cutoff": 0.7}
    v = verdict(emu.run_batch(good, N, seed=100), emu.run_batch(DEFAULTS, 10, seed=100))
    assert v.outcome == "loser" and "hallucination_rate" in v.reason and v.reason.startswith("interim look")


def test_a_look_waits_while_a_loss_beyond_tolerance_is_possible(emu):
    # abstaining more cuts hallucination clearly, but recall may fall by more than its tolerance
    base = emu.run_batch(DEFAULTS, N, seed=100)
    variant = emu.run_batch({**DEFAULTS, "abstain_threshold": 0.4}, N, seed=100)
    early = verdict(base, first(variant, 10))
    assert early.outcome == "inconclusive"
    assert "a loss beyond tolerance not ruled out for retrieval_recall" in early.reason
    assert next(d for d in early.deltas if d.metric == "hallucination_rate").better is True
    assert verdict(base, variant).outcome == "winner"  # the whole batch decides as before


def test_no_change_is_never_decided_early(emu):
    base = emu.run_batch(DEFAULTS, N, seed=100)
    v = verdict(base, emu.run_batch({**DEFAULTS, "context_budget": 2000.0}, 10, seed=100))
    assert v.outcome == "inconclusive" and "no decisive metric significantly better" in v.reason


def _event(d: str, turn: int, latency: float) -> SensorEvent:
    return SensorEvent(dialogue_id=d, turn=turn, segment="events", question="q", answer="a", abstained=False,
                       answerable=True, retrieved_ids=["m"], relevant_ids=["m"], used_ids=["m"],
                       latency_s=latency, correct=True)


def test_latency_alone_does_not_end_a_look():
    ids = [f"d{i}" for i in range(30)]
    base = Batch(id="a", params={}, seed=1, dialogues=30, events=[_event(d, t, 4.0) for d in ids for t in (1, 2)])
    fast = Batch(id="b", params={}, seed=1, dialogues=30, events=[_event(d, t, 1.0) for d in ids for t in (1, 2)])
    early = verdict(base, first(fast, 10))
    assert early.outcome == "inconclusive" and "no decisive metric" in early.reason
    assert next(d for d in early.deltas if d.metric == "latency_p95_s").better is True
    assert verdict(base, fast).outcome == "winner"  # on the whole batch latency counts as ever


def test_the_whole_batch_look_is_unchanged_by_the_interim_rule(emu):
    base = emu.run_batch(DEFAULTS, N, seed=101)
    for params in ({**DEFAULTS, "abstain_threshold": 0.4}, {**DEFAULTS, "top_k": 14.0}):
        variant = emu.run_batch(params, N, seed=101)
        assert verdict(base, variant) == verdict(base, variant, RULE.model_copy(update={"interim": None}))


def test_looks_that_cannot_be_judged_are_refused(emu):
    base = emu.run_batch(DEFAULTS, 12, seed=5)
    with pytest.raises(ValueError, match=r"at least 10 paired dialogues \(interim.min_dialogues\), .* covers 9"):
        verdict(base, emu.run_batch(DEFAULTS, 9, seed=5))
    with pytest.raises(ValueError, match="has no interim block"):
        verdict(base, emu.run_batch(DEFAULTS, 10, seed=5), RULE.model_copy(update={"interim": None}))
    with pytest.raises(ValueError, match="cover different dialogues"):  # a variant must not reach past the baseline
        verdict(first(base, 10), base)
    with pytest.raises(ValueError, match="cover different dialogues"):
        verdict(base, emu.run_batch(DEFAULTS, 10, seed=5, start=3))  # 3..12: not all in the baseline


def test_the_interim_rule_is_validated(tmp_path):
    bad = tmp_path / "verdict.yaml"
    lines = ["confidence: 0.95", "resamples: 1000", "seed: 7", "metrics:"]
    lines += [f"  {m}: {{min_effect: 0.01, tolerance: 0.05}}" for m in METRICS]
    bad.write_text("\n".join([*lines, "interim: {confidence: 0.9, resamples: 1000, min_dialogues: 10, "
                              "decisive: [retrieval_precision]}"]) + "\n")
    with pytest.raises(DataFileError, match="interim.confidence: must be at least confidence"):
        load_verdict_rule(bad)
    bad.write_text("\n".join([*lines, "interim: {confidence: 0.99, resamples: 1000, min_dialogues: 10, "
                              "decisive: [recall]}"]) + "\n")
    with pytest.raises(DataFileError, match=r"line \d+, column \d+: interim: .*unknown metric\(s\) recall"):
        load_verdict_rule(bad)


# -- error control ------------------------------------------------------------------------------


def swapped(baseline: Batch, variant: Batch, flips: np.ndarray) -> tuple[Batch, Batch]:
    """The pair with the two arms of dialogue i exchanged where flips[i]: a null hypothesis."""
    order = list(dict.fromkeys(e.dialogue_id for e in baseline.events))
    arms: dict[str, tuple[list[SensorEvent], list[SensorEvent]]] = {d: ([], []) for d in order}
    for e in baseline.events:
        arms[e.dialogue_id][0].append(e)
    for e in variant.events:
        arms[e.dialogue_id][1].append(e)
    a, b = [], []
    for d, flip in zip(order, flips):
        x, y = arms[d][::-1] if flip else arms[d]
        a += x
        b += y
    return baseline.model_copy(update={"events": a}), variant.model_copy(update={"events": b})


# Pairs with real, different effects; swapped at random they are nulls of different noise.
NULL_PAIRS = [
    ({}, {"abstain_threshold": 0.35}),  # moderate effects on four metrics
    ({}, {"score_cutoff": 0.5}),  # large effects on precision and utilization
    ({}, {"top_k": 14.0}),  # latency only
    ({"abstain_threshold": 0.5, "score_cutoff": 0.7}, {"abstain_threshold": 0.6}),  # near the targets
]


def null_error_rates(emu, pairs, draws: int) -> tuple[int, int, int, float]:
    """False winners of the whole-batch verdict and of the sequential one, early ones, and the mean size."""
    fixed = seq = early = 0
    sizes = []
    for i, (start, change) in enumerate(pairs):
        params = {**DEFAULTS, **start}
        base = emu.run_batch(params, N, seed=500 + i)
        variant = emu.run_batch({**params, **change}, N, seed=500 + i)
        rng = np.random.default_rng(i)
        for _ in range(draws):
            a, b = swapped(base, variant, rng.integers(0, 2, N))
            whole = verdict(a, b).outcome
            outcome, at = sequential(a, b)
            fixed += whole == "winner"
            seq += outcome == "winner"
            early += outcome == "winner" and at < N and whole != "winner"
            sizes.append(at)
    return fixed, seq, early, float(np.mean(sizes))


def _budget(draws: int) -> float:
    """Extra false winners the interim looks may add: a union bound over looks and decisive
    metrics at the interim confidence's one-sided tail, plus three binomial standard errors."""
    rule = RULE.interim
    assert rule is not None
    p = len(LOOKS) * len(rule.decisive) * (1 - rule.confidence) / 2
    return draws * p + 3 * (draws * p * (1 - p)) ** 0.5


def test_interim_looks_add_few_false_winners(emu):
    draws = 40
    fixed, seq, early, _ = null_error_rates(emu, NULL_PAIRS[:1], draws)
    assert seq <= fixed + _budget(draws)
    assert early <= _budget(draws)


@pytest.mark.slow
def test_interim_looks_add_few_false_winners_on_many_nulls(emu):
    draws = 150
    fixed, seq, early, size = null_error_rates(emu, NULL_PAIRS, draws)
    total = draws * len(NULL_PAIRS)
    assert seq <= fixed + _budget(total), (fixed, seq, early)
    assert early <= _budget(total)
    assert size > 25  # under a null the procedure mostly runs the whole batch


def test_early_decisions_agree_with_the_whole_batch_and_save_dialogues(emu):
    """On real pairs (forward and backward steps from a few places): an early decision is
    never the opposite of the whole batch's verdict, and clear effects end early."""
    places = [DEFAULTS, {**DEFAULTS, "abstain_threshold": 0.4, "score_cutoff": 0.6}]
    moves = [("score_cutoff", 0.1), ("score_cutoff", -0.1), ("abstain_threshold", 0.1),
             ("abstain_threshold", -0.1), ("top_k", 2.0)]
    stopped_early = 0
    for seed, place in enumerate(places, start=300):
        base = emu.run_batch(place, N, seed=seed)
        for factor, step in moves:
            variant = emu.run_batch({**place, factor: round(place[factor] + step, 6)}, N, seed=seed)
            whole = verdict(base, variant).outcome
            outcome, at = sequential(base, variant)
            if at < N:
                stopped_early += 1
                assert {outcome, whole} != {"winner", "loser"}, (place, factor, step, outcome, whole)
    assert stopped_early >= 2


# -- the evidence shown justifies the outcome -------------------------------------------------


def _batch_from(rows: list[tuple[int, int, float]], seed: int = 1) -> Batch:
    """A hand-made batch: per dialogue (answerable questions answered right, hallucinations, latency)."""
    events = []
    for i, (right, wrong, latency) in enumerate(rows):
        for t in range(right):
            events.append(_event(f"d{i}", t, latency))
        for t in range(wrong):
            events.append(SensorEvent(dialogue_id=f"d{i}", turn=100 + t, segment="events", question="q",
                                      answer="a", abstained=False, answerable=False, retrieved_ids=["x"],
                                      relevant_ids=[], latency_s=latency))
    return Batch(id=f"h{seed}", params={}, seed=seed, dialogues=len(rows), events=events)


@st.composite
def pairs_of_batches(draw: st.DrawFn) -> tuple[Batch, Batch]:
    """A baseline, and a variant that shifts hallucinations and latency by a common amount plus noise."""
    n = draw(st.integers(12, 16))
    base = draw(st.lists(st.tuples(st.integers(1, 3), st.integers(0, 3), st.floats(0.5, 6.0)), min_size=n, max_size=n))
    shift, speed = draw(st.integers(-2, 2)), draw(st.sampled_from([0.5, 1.0, 1.5]))
    noise = draw(st.lists(st.integers(-1, 1), min_size=n, max_size=n))
    other = [(right, max(0, wrong + shift + e), latency * speed) for (right, wrong, latency), e in zip(base, noise)]
    return _batch_from(base), _batch_from(other)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=pairs_of_batches(), k=st.integers(10, 11))
def test_an_interim_outcome_follows_from_the_intervals_it_shows(pair, k):
    a, b = pair
    v = verdict(a, first(b, k))
    look = RULE.interim
    assert look is not None
    for d in v.deltas:  # shown values are rounded: leave out a bound on a threshold to the last digits
        rule = RULE.metrics[d.metric]
        for x in (d.ci_low, d.ci_high, d.delta):
            assume(not 0 < abs(x) < 1e-5)
            assume(all(abs(abs(x) - t) > 1e-5 for t in (rule.tolerance, rule.min_effect)))
    losing, better, unsettled = [], [], []
    for d in v.deltas:
        lower = d.metric in judge.LOWER_IS_BETTER
        rule = RULE.metrics[d.metric]
        big = abs(d.delta) >= rule.min_effect
        if big and (d.ci_low if lower else -d.ci_high) > rule.tolerance and (d.ci_low > 0 if lower else d.ci_high < 0):
            losing.append(d.metric)
        if d.better and d.metric in look.decisive:
            better.append(d.metric)
        if (d.ci_high if lower else -d.ci_low) > rule.tolerance:
            unsettled.append(d.metric)
    expected = "loser" if losing else "winner" if better and not unsettled else "inconclusive"
    assert v.outcome == expected
