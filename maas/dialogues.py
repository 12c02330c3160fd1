"""Dialogues: who says what, in which session, and what the ground truth is.

A dialogue is one user talking to the assistant over several sessions. Earlier sessions
state facts about the user (the memories that matter), distractors (statements about
other people or things that share words with later questions), small talk and requests;
the last session asks questions, some about stated facts and some about facts never
stated, where the right answer is to abstain.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import ConfigDict

from maas.world import World

Kind = Literal["fact", "distractor", "filler", "chit_chat", "question", "assistant"]


@dataclass(frozen=True)
class Turn:
    # Plain dataclasses: the emulator writes thousands of these per cycle. Pydantic still
    # validates them, strictly, wherever they are read from a file (the golden set).
    __pydantic_config__ = ConfigDict(extra="forbid")

    id: str
    index: int
    session: int
    role: Literal["user", "assistant"]
    kind: Kind
    text: str
    slot: str | None = None
    segment: str | None = None
    value: str | None = None  # fact stated, or the answer a question expects
    answerable: bool | None = None  # questions only
    wording: Literal["plain", "partial", "paraphrase"] | None = None  # questions only
    relevant: list[str] = field(default_factory=list)  # questions only: ids of the fact turns


@dataclass(frozen=True)
class Dialogue:
    __pydantic_config__ = ConfigDict(extra="forbid")

    id: str
    persona: str
    facts: dict[str, str]
    turns: list[Turn]

    def questions(self) -> list[Turn]:
        return [t for t in self.turns if t.kind == "question"]


class _Writer:
    """Appends turns with consecutive indices and ids."""

    def __init__(self, dialogue_id: str) -> None:
        self.dialogue_id = dialogue_id
        self.turns: list[Turn] = []

    def add(self, session: int, role: str, kind: str, text: str, **truth) -> Turn:
        index = len(self.turns)
        turn = Turn(id=f"{self.dialogue_id}-t{index:02d}", index=index, session=session,
                    role=role, kind=kind, text=text, **truth)
        self.turns.append(turn)
        return turn


def _other_value(rng: random.Random, values: list[str], own: str | None) -> str:
    return rng.choice([v for v in values if v != own])


def _filler(world: World, rng: random.Random) -> str:
    text = re.sub(r"{(\w+)}", lambda m: rng.choice(world.fillers.parts[m.group(1)]), rng.choice(world.fillers.templates))
    return text[0].upper() + text[1:]


def write_dialogue(world: World, rng: random.Random, dialogue_id: str) -> Dialogue:
    """One dialogue from ``world``; the same ``rng`` state always writes the same dialogue."""
    shape = world.shape
    slot_names = sorted(world.slots)
    persona = rng.choice(world.names)

    stated = rng.sample(slot_names, rng.randint(*shape.facts))
    unstated = [s for s in slot_names if s not in stated]
    facts = {s: rng.choice(world.slots[s].values) for s in stated}
    asked_stated = rng.sample(stated, rng.randint(*shape.answerable))
    asked_unstated = rng.sample(unstated, rng.randint(*shape.unanswerable))

    # Statements of sessions 1 .. S-1: (kind, slot, text, value)
    statements: list[tuple[str, str | None, str, str | None]] = []
    for slot_name, value in facts.items():
        template = rng.choice(world.slots[slot_name].statements)
        statements.append(("fact", slot_name, template.replace("{value}", value), value))
    bait = [s for s in asked_unstated if rng.random() < shape.bait_share]
    n_distractors = rng.randint(*shape.distractors)
    distractor_slots = bait + rng.choices(slot_names, k=max(0, n_distractors - len(bait)))
    for slot_name in distractor_slots:
        slot = world.slots[slot_name]
        other = _other_value(rng, slot.values, facts.get(slot_name))
        statements.append(("distractor", slot_name, rng.choice(slot.distractors).replace("{other}", other), None))
    for _ in range(rng.randint(*shape.fillers)):
        statements.append(("filler", None, _filler(world, rng), None))
    for text in rng.sample(world.chit_chat, min(2, len(world.chit_chat))):
        statements.append(("chit_chat", None, text, None))
    rng.shuffle(statements)

    writer = _Writer(dialogue_id)
    fact_turn: dict[str, str] = {}
    sessions = shape.sessions - 1
    per_session = -(-len(statements) // sessions)
    for s in range(sessions):
        chunk = statements[s * per_session:(s + 1) * per_session]
        writer.add(s + 1, "assistant", "assistant", rng.choice(world.greetings).replace("{name}", persona))
        for i, (kind, slot_name, text, value) in enumerate(chunk):
            if i:
                lead = rng.choice(world.acknowledgements) + " " + rng.choice(world.prompts)
                writer.add(s + 1, "assistant", "assistant", lead)
            segment = world.slots[slot_name].segment if slot_name else None
            turn = writer.add(s + 1, "user", kind, text, slot=slot_name, segment=segment, value=value)
            if kind == "fact":
                fact_turn[slot_name] = turn.id

    last = shape.sessions
    writer.add(last, "assistant", "assistant", rng.choice(world.greetings).replace("{name}", persona))
    asked = [(s, True) for s in asked_stated] + [(s, False) for s in asked_unstated]
    rng.shuffle(asked)
    for slot_name, answerable in asked:
        slot = world.slots[slot_name]
        wording = "plain"
        if answerable:
            draw = rng.random()
            if draw < shape.paraphrase_share:
                wording = "paraphrase"
            elif draw < shape.paraphrase_share + shape.partial_share:
                wording = "partial"
        pool = {"plain": slot.questions, "partial": slot.partials, "paraphrase": slot.paraphrases}[wording]
        text = rng.choice(pool)
        writer.add(
            last, "user", "question", text, slot=slot_name, segment=slot.segment,
            value=facts.get(slot_name), answerable=answerable, wording=wording,
            relevant=[fact_turn[slot_name]] if answerable else [],
        )
    return Dialogue(id=dialogue_id, persona=persona, facts=facts, turns=writer.turns)


def write_dialogues(world: World, seed: int, n: int, prefix: str = "d") -> list[Dialogue]:
    """``n`` dialogues; dialogue ``i`` depends only on (seed, i), not on ``n``."""
    return [write_dialogue(world, dialogue_rng(seed, i), f"{prefix}{seed}-{i:03d}") for i in range(n)]


def dialogue_rng(seed: int, i: int) -> random.Random:
    return random.Random(f"{seed}:{i}")
