"""The Teacher's hypotheses, verdicts and experiment designs."""

from __future__ import annotations

import pytest
from seed_targets import TARGETS, gap_of

from manager.ports import Batch, SensorEvent
from maas.emulator import EmbeddedEmulator
from maas.golden import load_golden
from maas.impacts import load_impacts
from maas.student import Student
from maas.student_model import load_student_model
from maas.teacher import EmbeddedTeacher
from maas.verdict import load_verdict_rule
from maas.world import emulator_world

MODEL = load_student_model()
FACTORS = MODEL.factor_specs()
DEFAULTS = MODEL.defaults()


def gaps(**current):
    """Every target's gap; a metric not given passes its target."""
    return [gap_of(metric, current.get(metric, target * (0.5 if lower else 1.1)))
            for metric, (target, _, _, lower) in TARGETS.items()]


@pytest.fixture(scope="module")
def teacher():
    return EmbeddedTeacher(Student(MODEL), load_golden(), load_impacts(), load_verdict_rule())


def test_the_critical_gap_comes_first(teacher):
    h = teacher.propose(gaps(hallucination_rate=0.2, retrieval_precision=0.3), DEFAULTS, FACTORS, [])
    assert h.factor == "abstain_threshold" and h.proposed == pytest.approx(DEFAULTS["abstain_threshold"] + 0.1)
    assert h.step == pytest.approx(0.1) and h.expected["hallucination_rate"] == "down"
    assert "hallucination_rate" in h.reason


def test_primary_gaps_pick_the_strongest_lever(teacher):
    h = teacher.propose(gaps(retrieval_precision=0.4, context_utilization=0.5), DEFAULTS, FACTORS, [])
    assert h.factor == "score_cutoff" and h.proposed == pytest.approx(DEFAULTS["score_cutoff"] + 0.1)
    assert h.expected == {"retrieval_precision": "up", "context_utilization": "up", "retrieval_recall": "down",
                          "latency_p95_s": "down", "hallucination_rate": "down"}


def test_low_recall_steps_the_other_way(teacher):
    params = {**DEFAULTS, "top_k": 4.0}
    h = teacher.propose(gaps(retrieval_recall=0.5), params, FACTORS, [])
    assert h.expected["retrieval_recall"] == "up" and h.proposed != params[h.factor]


def test_failed_moves_are_avoided_then_half_a_step_then_retried_after_progress(teacher):
    g = gaps(hallucination_rate=0.2)
    tried = [{"factor": "abstain_threshold", "proposed": 0.4, "outcome": "rejected"}]
    assert teacher.propose(g, DEFAULTS, FACTORS, tried).proposed == pytest.approx(0.35)
    tried.append({"factor": "abstain_threshold", "proposed": 0.35, "outcome": "loser"})
    assert teacher.propose(g, DEFAULTS, FACTORS, tried).factor == "score_cutoff"  # the next lever
    tried.append({"factor": "score_cutoff", "proposed": 0.5, "outcome": "applied"})
    assert teacher.propose(g, {**DEFAULTS, "score_cutoff": 0.5}, FACTORS, tried).proposed == pytest.approx(0.4)


def test_stays_within_the_declared_range(teacher):
    params = {**DEFAULTS, "abstain_threshold": 0.9}
    h = teacher.propose(gaps(hallucination_rate=0.2), params, FACTORS, [])
    assert h is None or h.factor != "abstain_threshold"
    narrow = [f.model_copy(update={"maximum": 0.35}) if f.name == "abstain_threshold" else f for f in FACTORS]
    h = teacher.propose(gaps(hallucination_rate=0.2), DEFAULTS, narrow, [])
    assert h.factor == "abstain_threshold" and h.proposed == pytest.approx(0.35)


def test_nothing_to_propose(teacher):
    assert teacher.propose(gaps(), DEFAULTS, FACTORS, []) is None  # every target met
    assert teacher.propose(gaps(error_rate=0.05), DEFAULTS, FACTORS, []) is None  # no factor moves it
    only_budget = [f for f in FACTORS if f.name == "context_budget"]
    at_floor = {**DEFAULTS, "context_budget": 100.0}  # the only allowed lever cannot go lower
    assert teacher.propose(gaps(hallucination_rate=0.2), at_floor, only_budget, []) is None


def test_malformed_gaps_are_refused(teacher):
    bad = gaps(hallucination_rate=0.2)
    bad[0]["gap"] = "large"
    with pytest.raises(ValueError, match="'gap' must be a number"):
        teacher.propose(bad, DEFAULTS, FACTORS, [])


def test_design_one_experiment_per_linked_factor(teacher):
    targets = [{"metric": "hallucination_rate", "target": 0.05, "direction": "lower_is_better"},
               {"metric": "retrieval_recall", "target": 0.7}]
    designs = teacher.design_experiments(targets, FACTORS)
    assert [d.factor for d in designs] == ["top_k", "score_cutoff", "abstain_threshold", "context_budget"]
    abstain = designs[2]
    assert "hallucination_rate < 0.05" in abstain.success_criteria
    assert "retrieval_recall > 0.7" in abstain.success_criteria
    only_errors = teacher.design_experiments([{"metric": "error_rate", "target": 0.01}], FACTORS)
    assert only_errors == []


# -- verdicts -------------------------------------------------------------------------

def batch(params, seed=11, n=30):
    return EmbeddedEmulator(Student(MODEL), emulator_world()).run_batch(params, n, seed)


def test_a_change_that_does_nothing_is_inconclusive(teacher):
    base = batch(DEFAULTS)
    v = teacher.verdict(base, batch(DEFAULTS))
    assert v.outcome == "inconclusive"
    assert all(d.delta == 0 and d.ci_low == 0 and d.ci_high == 0 and d.better is None for d in v.deltas)


def test_a_better_configuration_wins_and_its_reverse_loses(teacher):
    base, better = batch(DEFAULTS), batch({**DEFAULTS, "abstain_threshold": 0.5, "score_cutoff": 0.7})
    win = teacher.verdict(base, better)
    assert win.outcome == "winner"
    by = {d.metric: d for d in win.deltas}
    assert by["hallucination_rate"].better is True and by["retrieval_precision"].better is True
    for d in win.deltas:
        assert d.ci_low <= d.delta <= d.ci_high
    lose = teacher.verdict(better, base)
    assert lose.outcome == "loser" and "hallucination_rate" in lose.reason


def test_verdict_needs_the_same_dialogues(teacher):
    with pytest.raises(ValueError, match="same dialogues: baseline .* seed 11, variant .* seed 12"):
        teacher.verdict(batch(DEFAULTS, seed=11, n=3), batch(DEFAULTS, seed=12, n=3))
    with pytest.raises(ValueError, match="cover different dialogues"):
        teacher.verdict(batch(DEFAULTS, n=3), batch(DEFAULTS, n=4))


def test_verdict_on_hand_made_batches(teacher):
    def ev(d, turn, abstained, answerable=False):
        return SensorEvent(dialogue_id=d, turn=turn, segment="events", question="q", answer="a",
                           abstained=abstained, answerable=answerable, retrieved_ids=["m"], relevant_ids=[],
                           latency_s=1.0, correct=None if abstained else False)

    dialogues = [f"d{i}" for i in range(20)]
    base = Batch(id="a", params={}, seed=1, dialogues=20, events=[ev(d, t, False) for d in dialogues for t in (1, 2)])
    # the variant abstains on every unanswerable question: hallucination 1.0 -> 0.0
    variant = Batch(id="b", params={}, seed=1, dialogues=20, events=[ev(d, t, True) for d in dialogues for t in (1, 2)])
    v = teacher.verdict(base, variant)
    halluc = next(d for d in v.deltas if d.metric == "hallucination_rate")
    assert (halluc.delta, halluc.ci_low, halluc.ci_high, halluc.better) == (-1.0, -1.0, -1.0, True)
    assert v.outcome == "winner"
