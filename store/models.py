"""Pydantic records the Manager keeps: the seed's artifacts (1.5).

Every record has a string ``id`` that the store allocates under its lock.
Lifecycle fields (``state``) are written by the machines in ``state_machines``;
the store only validates and persists them.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Record(BaseModel):
    """Base of every stored document; ``table`` names its TinyDB table."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
    table: ClassVar[str] = ""
    id_prefix: ClassVar[str] = ""

    id: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


Initiator = Literal["auto", "manual"]
Direction = Literal["higher_is_better", "lower_is_better"]


class TargetSpec(BaseModel):
    """One target metric of a campaign, optionally scoped to a memory segment."""

    model_config = ConfigDict(extra="forbid")
    metric: str
    direction: Direction
    target: float
    threshold: float
    priority: Literal["critical", "primary", "secondary"]
    segment: str | None = None
    # "+10 pp over where we start": resolved to ``target`` at the campaign's first evaluation.
    relative_to_baseline: float | None = None


class Campaign(Record):
    """A learning goal (seed 1.3 Goal Translator, 1.5 learning goals)."""

    table: ClassVar[str] = "campaigns"
    id_prefix: ClassVar[str] = "cmp"

    name: str
    goal_text: str
    targets: list[TargetSpec] = Field(default_factory=list)
    allowed_factors: list[str] = Field(default_factory=list)
    frozen_factors: list[str] = Field(default_factory=list)
    constraints: dict[str, float] = Field(default_factory=dict)
    priorities: list[str] = Field(default_factory=list)
    autonomy: Literal["auto", "approval", "manual"] = "auto"
    state: str = "draft"
    created_by: str = ""
    cycles_done: int = 0
    # The Teacher's experiment designs for this goal (seed 4.1): title, factor, hypothesis.
    plan: list[dict[str, Any]] = Field(default_factory=list)
    outcome: str = ""


class Experiment(Record):
    """An A/B experiment on one impact factor (seed 4.2-4.4)."""

    table: ClassVar[str] = "experiments"
    id_prefix: ClassVar[str] = "exp"

    campaign_id: str
    cycle_id: str | None = None
    title: str = ""
    factor: str | None = None
    step: float | None = None
    baseline_version: str | None = None
    variant_params: dict[str, Any] = Field(default_factory=dict)
    variant_version: str | None = None
    design: str = ""
    hypothesis: str = ""
    success_criteria: list[str] = Field(default_factory=list)
    state: str = "planned"
    verdict: dict[str, Any] | None = None
    golden_validation: dict[str, Any] | None = None
    policy: dict[str, Any] | None = None
    fired: list[dict[str, Any]] = Field(default_factory=list)
    proposal_hash: str | None = None
    proposed_by: str = "teacher"
    applied_version: str | None = None
    history: list[dict[str, Any]] = Field(default_factory=list)


class Cycle(Record):
    """One pass of the learning cycle of a campaign (seed 0.3)."""

    table: ClassVar[str] = "cycles"
    id_prefix: ClassVar[str] = "cyc"

    campaign_id: str
    number: int
    state: str = "IDLE"
    batch_id: str | None = None
    experiment_id: str | None = None
    gaps: list[dict[str, Any]] = Field(default_factory=list)
    should_tune: bool | None = None
    report: str = ""


class Task(Record):
    """A background task of the Manager's ToDo (seed 0.1, 0.3)."""

    table: ClassVar[str] = "tasks"
    id_prefix: ClassVar[str] = "tsk"

    kind: Literal["emulation", "evaluation", "tuning", "validation", "design"]
    title: str
    campaign_id: str | None = None
    ref: str | None = None
    state: str = "pending"
    done: int = 0
    total: int = 0
    error: str | None = None


class ParameterVersion(Record):
    """A version of the MaaS parameters as the Tuner reports it."""

    table: ClassVar[str] = "parameter_versions"
    id_prefix: ClassVar[str] = "pv"

    version: str = ""  # the Tuner's own id of this version
    params: dict[str, Any]
    parent: str | None = None
    experiment_id: str | None = None
    active: bool = False


class MetricSnapshot(Record):
    """Metrics of one batch as the Teacher judged them (train or golden)."""

    table: ClassVar[str] = "metric_snapshots"
    id_prefix: ClassVar[str] = "met"

    campaign_id: str | None = None
    cycle_id: str | None = None
    experiment_id: str | None = None
    source: Literal["train", "golden", "live"]
    variant: Literal["baseline", "variant", "active"] = "active"
    version: str | None = None
    metrics: dict[str, float]
    segments: dict[str, dict[str, float]] = Field(default_factory=dict)
    dialogues: int = 0


class Approval(Record):
    """A reviewer's answer to a proposal; void if the proposal changed since."""

    table: ClassVar[str] = "approvals"
    id_prefix: ClassVar[str] = "apr"

    experiment_id: str
    proposal_hash: str
    decision: Literal["approve", "reject"]
    approver: str
    reason: str = ""


class Incident(Record):
    """A degradation seen after apply and what was done about it (seed 4.5)."""

    table: ClassVar[str] = "incidents"
    id_prefix: ClassVar[str] = "inc"

    campaign_id: str | None = None
    experiment_id: str | None = None
    metrics: list[str] = Field(default_factory=list)
    reason: str
    action: str = "rollback"


class Command(Record):
    """A request from another process (TUI, CLI) for the running engine."""

    table: ClassVar[str] = "commands"
    id_prefix: ClassVar[str] = "cmd"

    verb: Literal["approve", "reject", "pause", "resume", "goal", "abandon", "rollback", "reload_rules"]
    args: dict[str, Any] = Field(default_factory=dict)
    issued_by: str
    state: Literal["pending", "done", "refused"] = "pending"
    result: str = ""


class ChangeLogEntry(BaseModel):
    """One append-only, hash-chained entry of the learning journal (seed 1.3 p.4)."""

    model_config = ConfigDict(extra="forbid")

    seq: int = 0
    at: datetime = Field(default_factory=utcnow)
    kind: str
    summary: str
    reason: str = ""
    initiator: Initiator = "auto"
    actor: str = "manager"
    campaign_id: str | None = None
    experiment_id: str | None = None
    fired: list[dict[str, Any]] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)
    prev_hash: str = ""
    hash: str = ""


RECORD_TYPES: tuple[type[Record], ...] = (
    Campaign,
    Experiment,
    Cycle,
    Task,
    ParameterVersion,
    MetricSnapshot,
    Approval,
    Incident,
    Command,
)
