"""The student: what it remembers, what it retrieves, when it abstains, what it costs."""

from __future__ import annotations

import numpy as np
import pytest

from maas.student import ABSTAIN_ANSWER, Student, TurnNoise
from maas.student_model import load_student_model

MODEL = load_student_model()
PARAMS = {"top_k": 5, "score_cutoff": 0.0, "abstain_threshold": 0.3, "context_budget": 4000}
CALM = TurnNoise(jitter=1.0, fault=False, reader=np.zeros(64))


def memory_of(*statements: str):
    memory = Student(MODEL).new_user("u1")
    for i, text in enumerate(statements):
        memory.observe(f"u1-t{i:02d}", "user", text, session=1)
    return memory


FACTS = (
    "I live in Lisbon now, the city is my home.",
    "My dog is called Biscuit, he is a little menace.",
    "My sister keeps asking me to visit Ghent.",
    "The weather has been grey and rainy all week.",
)


def test_only_user_statements_with_content_are_remembered():
    memory = Student(MODEL).new_user("u1")
    assert memory.observe("t0", "assistant", "I live in Paris, says the assistant.", 1) is None
    assert memory.observe("t1", "user", "Which city do I live in?", 1) is None
    assert memory.observe("t2", "user", "Ok, sounds good.", 1) is None
    kept = memory.observe("t3", "user", "I live in Lisbon now, the city is my home.", 1)
    assert kept is not None and kept.id == "t3"
    assert "assistant: I live in Paris" in kept.entry  # the evidence window travels with it
    assert kept.tokens > len(kept.text.split())


def test_the_stated_fact_ranks_first_and_answers():
    memory = memory_of(*FACTS)
    ranking = memory.relevance("Which city do I live in?")
    assert memory.memories[ranking[0][0]].text.startswith("I live in Lisbon")
    assert ranking[0][1] > 0.7 > ranking[1][1]
    reply = memory.answer("Which city do I live in?", PARAMS, CALM)
    assert not reply.abstained and reply.used_ids == ["u1-t00"] and "Lisbon" in reply.answer


def test_abstains_when_nothing_stated_matches():
    memory = memory_of(*FACTS)
    reply = memory.answer("Which language am I learning?", PARAMS, CALM)
    assert reply.abstained and reply.answer == ABSTAIN_ANSWER and reply.used_ids == []


def test_cutoff_top_k_and_budget_shape_the_context():
    memory = memory_of(*FACTS)
    wide = memory.answer("Which city do I live in?", PARAMS, CALM)
    assert len(wide.retrieved_ids) == 4  # every memory is a candidate (recency ranks the rest)
    assert len(memory.answer("Which city do I live in?", {**PARAMS, "top_k": 2}, CALM).retrieved_ids) == 2
    assert memory.answer("Which city do I live in?", {**PARAMS, "score_cutoff": 0.9}, CALM).retrieved_ids == ["u1-t00"]
    first = memory.memories[0].tokens
    tight = memory.answer("Which city do I live in?", {**PARAMS, "context_budget": first}, CALM)
    assert tight.retrieved_ids == ["u1-t00"] and tight.context_tokens == first


def test_latency_follows_the_declared_cost_model():
    memory = memory_of(*FACTS)
    lat = MODEL.latency
    reply = memory.answer("Which city do I live in?", PARAMS, CALM)
    expected = lat.base_s + lat.per_candidate_s * 4 + lat.per_context_token_s * reply.context_tokens + lat.generation_s
    assert reply.latency_s == pytest.approx(expected)
    slow = memory.answer("Which city do I live in?", PARAMS, TurnNoise(jitter=1.5, fault=False, reader=np.zeros(64)))
    assert slow.latency_s == pytest.approx(1.5 * expected)
    abstained = memory.answer("Which language am I learning?", PARAMS, CALM)
    assert abstained.latency_s == pytest.approx(lat.base_s + lat.per_candidate_s * 4 + lat.abstain_s)


def test_faults_and_timeouts_are_errors():
    memory = memory_of(*FACTS)
    failed = memory.answer("Which city do I live in?", PARAMS, TurnNoise(jitter=1.0, fault=True, reader=np.zeros(64)))
    assert failed.error == "backend_error" and failed.answer == "" and failed.used_ids == []
    late = memory.answer("Which city do I live in?", PARAMS, TurnNoise(jitter=100.0, fault=False, reader=np.zeros(64)))
    assert late.error == "timeout" and late.latency_s == MODEL.latency.timeout_s


def test_a_distracted_reader_can_answer_from_the_wrong_memory():
    memory = memory_of(*FACTS)
    noise = np.zeros(64)
    noise[2] = 50.0  # an enormous pull towards the Ghent memory
    reply = memory.answer("Which city do I live in?", PARAMS, TurnNoise(jitter=1.0, fault=False, reader=noise))
    assert reply.used_ids == ["u1-t02"] and "Lisbon" not in reply.answer
    one = memory.answer("Which city do I live in?", {**PARAMS, "top_k": 1},
                        TurnNoise(jitter=1.0, fault=False, reader=noise))
    assert one.used_ids == ["u1-t00"]  # nothing to be distracted by


def test_params_are_checked():
    with pytest.raises(ValueError, match="unknown factor"):
        MODEL.check_params({"top_kk": 3})
    with pytest.raises(ValueError, match=r"top_k: must be an integer"):
        MODEL.check_params({"top_k": 2.5})
    with pytest.raises(ValueError, match=r"score_cutoff: 1.5 is outside \[0.0, 0.9\]"):
        MODEL.check_params({"score_cutoff": 1.5})
    with pytest.raises(ValueError, match="expected a number"):
        MODEL.check_params({"context_budget": "400"})
    assert MODEL.check_params({"top_k": 4})["score_cutoff"] == MODEL.defaults()["score_cutoff"]
