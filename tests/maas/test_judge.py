"""The judge's metrics on small hand-made telemetry whose answers are known."""

from __future__ import annotations

import pytest

from manager.ports import METRICS, SensorEvent
from maas import judge


def ev(turn: int, *, answerable: bool = True, abstained: bool = False, retrieved=(), relevant=(), used=(),
       correct: bool | None = None, error: str | None = None, latency: float = 1.0, segment: str = "events",
       dialogue: str = "d1") -> SensorEvent:
    return SensorEvent(dialogue_id=dialogue, turn=turn, segment=segment, question="q?", answer="a",
                       abstained=abstained, answerable=answerable, retrieved_ids=list(retrieved),
                       relevant_ids=list(relevant), used_ids=list(used), latency_s=latency, error=error,
                       correct=correct)


# Four valid turns and one errored turn:
#  t1 answerable, context [m1, m2, m3], relevant m1, used m1, correct      -> no hallucination
#  t2 answerable, context [m4, m5],     relevant m6, used m4, wrong        -> hallucination, m6 missed
#  t3 unanswerable, answered from context [m7]                              -> hallucination
#  t4 answerable, abstained (context not delivered), relevant m8           -> no hallucination, m8 missed
#  t5 errored                                                               -> only error_rate and latency
EVENTS = [
    ev(1, retrieved=["m1", "m2", "m3"], relevant=["m1"], used=["m1"], correct=True, latency=1.0, segment="preferences"),
    ev(2, retrieved=["m4", "m5"], relevant=["m6"], used=["m4"], correct=False, latency=2.0, segment="preferences"),
    ev(3, answerable=False, retrieved=["m7"], used=["m7"], correct=False, latency=3.0),
    ev(4, abstained=True, retrieved=["m8", "m9"], relevant=["m8"], latency=4.0),
    ev(5, error="timeout", relevant=["m10"], latency=9.0),
]


def test_metrics_by_hand():
    m = judge.metrics(EVENTS)
    assert set(m) == set(METRICS)
    assert m["error_rate"] == pytest.approx(1 / 5, abs=1e-6)
    assert m["hallucination_rate"] == pytest.approx(2 / 4, abs=1e-6)  # t2, t3 of 4 valid turns
    assert m["retrieval_precision"] == pytest.approx(1 / 6, abs=1e-6)  # m1 of m1..m5, m7 (t4 abstained)
    assert m["retrieval_recall"] == pytest.approx(1 / 3, abs=1e-6)  # m1 of m1, m6, m8 (t5 errored)
    assert m["context_utilization"] == pytest.approx(3 / 6, abs=1e-6)  # m1, m4, m7 used of 6 delivered
    # numpy's linear 95th percentile of [1, 2, 3, 4, 9]: 4 + 0.8 * (9 - 4)
    assert m["latency_p95_s"] == pytest.approx(8.0, abs=1e-6)


def test_segments_are_computed_on_their_own_turns():
    segments = judge.per_segment(EVENTS)
    assert set(segments) == {"preferences", "events"}
    prefs = segments["preferences"]
    assert prefs["hallucination_rate"] == pytest.approx(1 / 2, abs=1e-6)
    assert prefs["retrieval_precision"] == pytest.approx(1 / 5, abs=1e-6)
    assert prefs["retrieval_recall"] == pytest.approx(1 / 2, abs=1e-6)
    assert segments["events"]["error_rate"] == pytest.approx(1 / 3, abs=1e-6)


def test_missing_correct_falls_back_to_used_memories():
    right = ev(1, retrieved=["m1", "m2"], relevant=["m1"], used=["m1"], correct=None)
    wrong = ev(2, retrieved=["m1", "m2"], relevant=["m1"], used=["m2"], correct=None)
    assert judge.metrics([right])["hallucination_rate"] == 0.0
    assert judge.metrics([wrong])["hallucination_rate"] == 1.0


def test_abstaining_on_an_unanswerable_question_is_right():
    m = judge.metrics([ev(1, answerable=False, abstained=True, retrieved=["m1"])])
    assert m["hallucination_rate"] == 0.0
    assert m["retrieval_recall"] == 1.0  # nothing was relevant, nothing was missed
    assert m["retrieval_precision"] == 0.0  # nothing was delivered at all


def test_duplicate_context_ids_count_once():
    m = judge.metrics([ev(1, retrieved=["m1", "m1", "m2"], relevant=["m1"], used=["m1"], correct=True)])
    assert m["retrieval_precision"] == pytest.approx(1 / 2, abs=1e-6)


def test_empty_telemetry():
    m = judge.metrics([])
    assert m == {"hallucination_rate": 0.0, "retrieval_precision": 0.0, "retrieval_recall": 1.0,
                 "context_utilization": 0.0, "latency_p95_s": 0.0, "error_rate": 0.0}
