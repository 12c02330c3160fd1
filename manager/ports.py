"""The only doors between the Manager and the self-learning modules.

The Manager talks to the Teacher, the Emulator and the Tuner through these
protocols and nothing else (DESIGN.md). The embedded ``maas`` package is one
implementation; a user's own (a remote MaaS over HTTP, say) is another, loaded by
import path from the workspace config. Everything that crosses a port is a
pydantic model, so that malformed data from an adapter is refused at the door.

Rates are fractions in [0, 1]; latency is seconds.
"""

from __future__ import annotations

from typing import Any, Callable, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

METRICS = (
    "hallucination_rate",
    "retrieval_precision",
    "retrieval_recall",
    "context_utilization",
    "latency_p95_s",
    "error_rate",
)


class PortModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FactorSpec(PortModel):
    """An impact factor of the MaaS: its range and the step a cycle may take."""

    name: str
    minimum: float
    maximum: float
    step: float
    default: float
    integer: bool = False
    description: str = ""


class ParamVersion(PortModel):
    """A parameter version as the Tuner keeps it."""

    id: str
    params: dict[str, float]
    parent: str | None = None
    note: str = ""


class SensorEvent(PortModel):
    """Telemetry of one student turn (the seed's Sensor)."""

    dialogue_id: str
    turn: int
    segment: str
    question: str
    answer: str
    abstained: bool
    answerable: bool
    retrieved_ids: list[str]
    relevant_ids: list[str]
    used_ids: list[str] = Field(default_factory=list)
    context_tokens: int = 0
    latency_s: float
    error: str | None = None
    correct: bool | None = None


class Batch(PortModel):
    """One emulation batch: N dialogues run for one parameter configuration."""

    id: str
    params: dict[str, float]
    seed: int
    dialogues: int
    events: list[SensorEvent]
    failed_dialogues: int = 0


class Judgement(PortModel):
    """The Teacher's metrics of a batch, overall and per memory segment."""

    metrics: dict[str, float]
    segments: dict[str, dict[str, float]] = Field(default_factory=dict)
    dialogues: int = 0
    source: Literal["train", "golden", "live"] = "train"


class Hypothesis(PortModel):
    """One factor, one step: what the Teacher proposes to change and why."""

    factor: str
    current: float
    proposed: float
    step: float
    reason: str
    expected: dict[str, Literal["up", "down"]] = Field(default_factory=dict)


class MetricDelta(PortModel):
    metric: str
    baseline: float
    variant: float
    delta: float
    ci_low: float
    ci_high: float
    better: bool | None = None


class Verdict(PortModel):
    """Paired A/B result on the same dialogues (seed 4.3)."""

    outcome: Literal["winner", "loser", "inconclusive"]
    deltas: list[MetricDelta]
    reason: str = ""
    confidence: float | None = None  # of the deltas' intervals (an interim look's is stricter)


class ExperimentDesign(PortModel):
    """An experiment the Teacher designs for a campaign (seed 4.1)."""

    title: str
    factor: str | None = None
    hypothesis: str = ""
    success_criteria: list[str] = Field(default_factory=list)


Progress = Callable[[int, int], None]


@runtime_checkable
class Emulator(Protocol):
    def run_batch(
        self, params: dict[str, float], n: int, seed: int, progress: Progress | None = None, start: int = 0
    ) -> Batch:
        """Dialogues ``start`` .. ``start + n - 1`` of ``seed``.

        Dialogue i depends only on the seed and i, so a batch run in parts (each part's
        ``start`` = the dialogues already run) is the whole batch. The Manager passes
        ``start`` only when it is above 0 (an A/B grown a look at a time, rules
        ``methodology.ab_looks``); an emulator without the parameter gets whole batches.
        """
        ...


@runtime_checkable
class Teacher(Protocol):
    def judge(self, batch: Batch) -> Judgement: ...

    def validate_on_golden(self, params: dict[str, float]) -> Judgement: ...

    def propose(
        self,
        gaps: list[dict[str, Any]],
        params: dict[str, float],
        factors: list[FactorSpec],
        tried: list[dict[str, Any]],
    ) -> Hypothesis | None: ...

    def verdict(self, baseline: Batch, variant: Batch) -> Verdict:
        """Paired A/B on the same dialogues.

        With interim looks the variant covers only the baseline's first dialogues: the
        verdict compares on those and says "inconclusive" unless the evidence is already
        strong enough to stop ("emulate more").
        """
        ...

    def design_experiments(
        self, targets: list[dict[str, Any]], factors: list[FactorSpec]
    ) -> list[ExperimentDesign]: ...


@runtime_checkable
class Tuner(Protocol):
    def factors(self) -> list[FactorSpec]: ...

    def active(self) -> ParamVersion: ...

    def prepare_variant(self, base: str, changes: dict[str, float], note: str = "") -> ParamVersion: ...

    def apply(self, version_id: str) -> ParamVersion: ...

    def rollback(self, to_version_id: str) -> ParamVersion: ...


class MaaS(PortModel):
    """What a workspace's adapter factory returns: the three modules of one MaaS."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")
    teacher: Any
    emulator: Any
    tuner: Any
