"""What the rules decided, and why: the models the Manager, the CLI and the log carry."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_serializer


class Fired(BaseModel):
    """A rule that fired, the facts it fired on, and why in words."""

    model_config = ConfigDict(frozen=True)
    rule: str
    because: str
    facts: dict[str, Any]


class Gap(BaseModel):
    """One target's gap (DESIGN.md); ``segment`` is written only for a segment's target."""

    metric: str
    target: float
    current: float
    gap: float
    threshold: float
    exceeds_threshold: bool
    priority: str
    segment: str | None = None

    @model_serializer(mode="wrap")
    def _drop_empty_segment(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        if data.get("segment") is None:
            data.pop("segment", None)
        return data


class Validation(BaseModel):
    apply: bool
    reason: str


class Degradation(BaseModel):
    rollback: bool
    metrics: list[str]


class Decision(BaseModel):
    """The ``decide`` answer for one fact set; ``model_dump(mode="json")`` is the output.

    ``validation`` is null when no ``golden_delta`` was given, ``degradation`` null
    when no ``baseline`` was given.
    """

    gaps: list[Gap]
    should_tune: bool
    validation: Validation | None
    degradation: Degradation | None
    fired: list[Fired]


class PolicyDecision(BaseModel):
    """The policy gate's answer for a proposed change or an approval."""

    allowed: bool
    needs_approval: bool
    reasons: list[str]
    fired: list[Fired]
