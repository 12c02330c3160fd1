"""A world: the personas and templates from which dialogues are written.

The emulator writes its dialogues from ``data/emulator_world.yaml``; the golden set was
written once from ``data/golden_world.yaml``, whose names, values and templates the
emulator's world never uses. Both share one shape, checked here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from maas.datafiles import DATA_DIR, load_model

Segment = Literal["preferences", "personal_facts", "events"]
SEGMENTS: tuple[str, ...] = ("preferences", "personal_facts", "events")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Slot(_Strict):
    """One kind of fact a person can state about themselves, and how it is talked about."""

    segment: Segment
    values: list[str] = Field(min_length=4)
    statements: list[str] = Field(min_length=1)  # first-person, contain {value}
    questions: list[str] = Field(min_length=1)  # plain: share the statements' key words
    partials: list[str] = Field(min_length=1)  # share only some of the key words
    paraphrases: list[str] = Field(min_length=1)  # same question, few or no shared words
    distractors: list[str] = Field(min_length=1)  # not about the user, contain {other}

    @model_validator(mode="after")
    def _placeholders(self) -> "Slot":
        for text in self.statements:
            if "{value}" not in text:
                raise ValueError(f"statement {text!r} has no {{value}}")
        for text in self.distractors:
            if "{other}" not in text:
                raise ValueError(f"distractor {text!r} has no {{other}}")
        for text in self.questions + self.partials + self.paraphrases:
            if "{" in text:
                raise ValueError(f"question {text!r} must not contain a placeholder")
        return self


class Shape(_Strict):
    """How many of each kind of turn a dialogue has: [lowest, highest] inclusive."""

    sessions: int = Field(ge=2, le=6)
    facts: tuple[int, int]
    distractors: tuple[int, int]
    fillers: tuple[int, int]
    answerable: tuple[int, int]
    unanswerable: tuple[int, int]
    partial_share: float = Field(ge=0.0, le=1.0)  # of questions about stated facts
    paraphrase_share: float = Field(ge=0.0, le=1.0)
    bait_share: float = Field(ge=0.0, le=1.0)  # unanswerable questions with a distractor on their slot


class Fillers(_Strict):
    """Small talk that states nothing asked later: templates whose {part}s are drawn from ``parts``."""

    templates: list[str] = Field(min_length=1)
    parts: dict[str, list[str]]

    @model_validator(mode="after")
    def _parts_known(self) -> "Fillers":
        for text in self.templates:
            for part in re.findall(r"{(\w+)}", text):
                if part not in self.parts or not self.parts[part]:
                    raise ValueError(f"filler template {text!r} uses {{{part}}}, which parts do not define")
        return self

    def texts(self) -> set[str]:
        return set(self.templates) | {p for values in self.parts.values() for p in values}


class World(_Strict):
    names: list[str] = Field(min_length=4)
    shape: Shape
    slots: dict[str, Slot]
    fillers: Fillers
    chit_chat: list[str] = Field(min_length=1)  # user requests the memory should not keep
    greetings: list[str] = Field(min_length=1)  # assistant, opening a session
    prompts: list[str] = Field(min_length=1)  # assistant, inviting the user to talk
    acknowledgements: list[str] = Field(min_length=1)  # assistant, after a statement

    @model_validator(mode="after")
    def _consistent(self) -> "World":
        seen: dict[str, str] = {}
        for name, slot in self.slots.items():
            for value in slot.values:
                key = value.lower()
                if key in seen:
                    raise ValueError(f"value {value!r} is used by slots {seen[key]!r} and {name!r}")
                seen[key] = name
        # A value inside other text would let a wrong memory pass as a right answer.
        others = self.fillers.texts() | set(self.chit_chat) | set(self.greetings) | set(self.prompts)
        for slot in self.slots.values():
            others |= set(slot.statements) | set(slot.distractors) | set(slot.questions)
            others |= set(slot.partials) | set(slot.paraphrases)
        for value, slot_name in seen.items():
            pattern = re.compile(r"(?<!\w)" + re.escape(value) + r"(?!\w)", re.IGNORECASE)
            for text in others:
                if pattern.search(text):
                    raise ValueError(f"value {value!r} of slot {slot_name!r} appears in the text {text!r}")
        lo, hi = self.shape.facts
        if not 1 <= lo <= hi <= len(self.slots) - self.shape.unanswerable[1]:
            raise ValueError("shape.facts must leave enough unstated slots for unanswerable questions")
        if self.shape.answerable[1] > lo:
            raise ValueError("shape.answerable cannot exceed the fewest facts stated")
        return self

    def values(self) -> set[str]:
        return {v for slot in self.slots.values() for v in slot.values}

    def templates(self) -> set[str]:
        out: set[str] = self.fillers.texts() | set(self.chit_chat)
        out |= set(self.greetings) | set(self.prompts) | set(self.acknowledgements)
        for slot in self.slots.values():
            out |= set(slot.statements) | set(slot.questions) | set(slot.partials)
            out |= set(slot.paraphrases) | set(slot.distractors)
        return out


@lru_cache(maxsize=8)
def load_world(path: Path) -> World:
    return load_model(path, World)


def emulator_world() -> World:
    return load_world(DATA_DIR / "emulator_world.yaml")
