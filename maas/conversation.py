"""Playing dialogues through the student and recording each question turn as a SensorEvent.

Shared by the emulator (training batches) and the teacher (golden validation), so both
measure the same student the same way. The randomness of a question turn (latency
jitter, faults, reader noise) is drawn from (seed, dialogue position, turn index) only,
so two configurations run on the same seed meet the same luck: A/B pairs differ by the
configuration alone.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, as_completed

import numpy as np

from manager.ports import Progress, SensorEvent
from maas.dialogues import Dialogue
from maas.student import Student, TurnNoise
from maas.text import mentions


def converse(student: Student, dialogue: Dialogue, params: dict[str, float], seed: int, position: int) -> list[SensorEvent]:
    memory = student.new_user(dialogue.id)
    events: list[SensorEvent] = []
    for turn in dialogue.turns:
        if turn.kind != "question":
            memory.observe(turn.id, turn.role, turn.text, turn.session)
            continue
        rng = np.random.default_rng([seed, position, turn.index])
        noise = TurnNoise.draw(rng, student.model, len(memory.memories))
        reply = memory.answer(turn.text, params, noise)
        correct = None
        if not reply.error and not reply.abstained:
            correct = bool(turn.answerable and turn.value and mentions(reply.answer, turn.value))
        events.append(SensorEvent(
            dialogue_id=dialogue.id, turn=turn.index, segment=turn.segment or "unknown",
            question=turn.text, answer=reply.answer, abstained=reply.abstained,
            answerable=bool(turn.answerable), retrieved_ids=reply.retrieved_ids,
            relevant_ids=list(turn.relevant), used_ids=reply.used_ids,
            context_tokens=reply.context_tokens, latency_s=round(reply.latency_s, 6),
            error=reply.error, correct=correct,
        ))
        memory.observe(turn.id, "user", turn.text, turn.session)
        memory.observe(f"{turn.id}r", "assistant", reply.answer or "(no answer)", turn.session)
    return events


def _failed(student: Student, dialogue: Dialogue, exc: BaseException) -> list[SensorEvent]:
    """Every question of a dialogue that crashed, as errored turns."""
    reason = f"dialogue_failed: {type(exc).__name__}: {exc}"
    return [
        SensorEvent(
            dialogue_id=dialogue.id, turn=t.index, segment=t.segment or "unknown", question=t.text,
            answer="", abstained=False, answerable=bool(t.answerable), retrieved_ids=[],
            relevant_ids=list(t.relevant), latency_s=student.model.latency.timeout_s, error=reason,
        )
        for t in dialogue.questions()
    ]


def play(
    student: Student,
    dialogues: list[Dialogue],
    params: dict[str, float],
    seed: int,
    progress: Progress | None = None,
    workers: int = 1,
    start: int = 0,
) -> tuple[list[SensorEvent], int]:
    """Run every dialogue; return their events in dialogue order and how many dialogues failed.

    Dialogues run on up to ``workers`` threads (bounded by the student's concurrency);
    ``progress(done, total)`` is called from the calling thread as each one finishes.
    ``start`` is the position of the first dialogue in its batch (the luck of a turn follows it).
    """
    total = len(dialogues)
    results: list[list[SensorEvent] | None] = [None] * total
    failed = 0

    def run(i: int) -> list[SensorEvent]:
        return converse(student, dialogues[i], params, seed, start + i)

    workers = max(1, min(workers, student.max_concurrency, total or 1))
    if workers == 1:
        for i in range(total):
            try:
                results[i] = run(i)
            except Exception as exc:  # one broken dialogue must not sink the batch
                results[i], failed = _failed(student, dialogues[i], exc), failed + 1
            if progress:
                progress(i + 1, total)
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="maas-dialogue") as pool:
            futures = {pool.submit(run, i): i for i in range(total)}
            for done, future in enumerate(as_completed(futures), start=1):
                i = futures[future]
                try:
                    results[i] = future.result()
                except Exception as exc:
                    results[i], failed = _failed(student, dialogues[i], exc), failed + 1
                if progress:
                    progress(done, total)
    return [e for r in results for e in (r or [])], failed
