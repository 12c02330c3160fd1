"""The emulator: seeded dialogues, telemetry per question turn, progress, concurrency."""

from __future__ import annotations

import pytest

from maas import judge
from maas.emulator import EmbeddedEmulator
from maas.student import Student
from maas.student_model import load_student_model
from maas.world import emulator_world

MODEL = load_student_model()
DEFAULTS = MODEL.defaults()


def emulator(workers: int = 1) -> EmbeddedEmulator:
    return EmbeddedEmulator(Student(MODEL), emulator_world(), workers=workers)


def test_same_seed_same_metrics_different_seed_different_dialogues():
    a = emulator().run_batch(DEFAULTS, 12, seed=5)
    b = emulator().run_batch(DEFAULTS, 12, seed=5)
    c = emulator().run_batch(DEFAULTS, 12, seed=6)
    assert a == b
    assert judge.metrics(a.events) == judge.metrics(b.events)
    texts = lambda batch: [e.question for e in batch.events]  # noqa: E731
    assert texts(a) != texts(c)
    assert {e.dialogue_id for e in a.events}.isdisjoint({e.dialogue_id for e in c.events})
    assert judge.metrics(a.events) != judge.metrics(c.events)


def test_a_dialogue_does_not_depend_on_the_batch_size():
    small, large = emulator().dialogues(9, 3), emulator().dialogues(9, 8)
    assert small == large[:3]


def test_dialogues_state_facts_and_ask_about_stated_and_unstated_ones():
    for dialogue in emulator().dialogues(3, 10):
        facts = {t.id: t for t in dialogue.turns if t.kind == "fact"}
        questions = dialogue.questions()
        assert any(q.answerable for q in questions) and any(not q.answerable for q in questions)
        assert any(t.kind == "distractor" for t in dialogue.turns)
        for q in questions:
            if q.answerable:
                (fact_id,) = q.relevant
                assert facts[fact_id].slot == q.slot and facts[fact_id].value == q.value
                assert facts[fact_id].index < q.index  # asked later
            else:
                assert q.relevant == [] and q.slot not in dialogue.facts


def test_telemetry_per_question_turn():
    batch = emulator().run_batch(DEFAULTS, 6, seed=2)
    questions = sum(len(d.questions()) for d in emulator().dialogues(2, 6))
    assert len(batch.events) == questions and batch.dialogues == 6 and batch.params == DEFAULTS
    for e in batch.events:
        assert e.segment in {"preferences", "personal_facts", "events"}
        assert e.latency_s > 0 and set(e.used_ids) <= set(e.retrieved_ids)
        assert e.abstained or e.error or e.correct is not None


def test_progress_is_reported_as_dialogues_finish():
    calls = []
    emulator().run_batch(DEFAULTS, 5, seed=1, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]


def test_concurrent_dialogues_give_the_same_batch():
    calls = []
    threaded = emulator(workers=3).run_batch(DEFAULTS, 9, seed=4, progress=lambda d, t: calls.append(d))
    assert threaded == emulator().run_batch(DEFAULTS, 9, seed=4)
    assert sorted(calls) == list(range(1, 10))


def test_a_broken_dialogue_is_counted_not_fatal(monkeypatch):
    emu = emulator()
    original = emu.student.new_user

    def flaky(user_id):
        if user_id.endswith("-001"):
            raise RuntimeError("disk on fire")
        return original(user_id)

    monkeypatch.setattr(emu.student, "new_user", flaky)
    batch = emu.run_batch(DEFAULTS, 3, seed=8)
    broken = [e for e in batch.events if e.dialogue_id.endswith("-001")]
    assert batch.failed_dialogues == 1 and broken
    assert all(e.error and "disk on fire" in e.error for e in broken)
    assert judge.metrics(batch.events)["error_rate"] > 0


@pytest.mark.parametrize(
    "params, n, seed, message",
    [
        ({"top_k": 0}, 3, 1, r"params.top_k: 0 is outside"),
        ({"speed": 1}, 3, 1, "unknown factor"),
        ({}, 0, 1, "n: expected an integer from 1"),
        ({}, 3, -1, "seed: expected a non-negative integer"),
    ],
)
def test_bad_requests_are_refused(params, n, seed, message):
    with pytest.raises(ValueError, match=message):
        emulator().run_batch(params, n, seed)
