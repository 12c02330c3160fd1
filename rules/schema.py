"""The shape of a rule file: pydantic models, strict types, unknown keys refused.

A rule file is a YAML mapping of sections; a rule folder spreads the sections over
files, each section in exactly one file. Conditions are declarative: a comparison
of one field of one fact with a constant (``{field: gap, gt: 0.05}``), or ``all:`` /
``any:`` of conditions. Every condition of a rule looks at the same single fact.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag, model_validator

from store.models import TargetSpec

Direction = Literal["higher_is_better", "lower_is_better"]
Level = Literal["auto", "approval", "never"]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
RuleName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=500)]

OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte")
ORDER_OPERATORS = ("gt", "gte", "lt", "lte")
SYMBOLS = {"eq": "=", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class MetricSpec(Strict):
    """A metric the Teacher reports."""

    direction: Direction
    description: str = ""


class TargetEntry(Strict):
    """One target metric (seed 0.2); ``segment`` reads the value of one memory segment."""

    metric: Name
    direction: Direction
    target: float
    threshold: float = Field(description="the gap exceeds its threshold when gap > threshold")
    priority: Literal["critical", "primary", "secondary"]
    segment: Name | None = None

    def spec(self) -> TargetSpec:
        return TargetSpec(**self.model_dump())


class TargetRef(Strict):
    """The gap's own target value or threshold, compared target by target."""

    target: Literal["target", "threshold"] = Field(description="which value of the gap's target to compare with")


Scalar = Union[str, float, bool]
Bound = Union[float, TargetRef]


class Comparison(Strict):
    """One field of the fact compared with a constant, by exactly one operator."""

    field: str = Field(description="a field of the fact the rule is about")
    eq: Scalar | None = Field(None, description="equal to")
    ne: Scalar | None = Field(None, description="not equal to")
    gt: Bound | None = Field(None, description="greater than")
    gte: Bound | None = Field(None, description="greater than or equal to")
    lt: Bound | None = Field(None, description="less than")
    lte: Bound | None = Field(None, description="less than or equal to")

    @model_validator(mode="after")
    def _one_operator(self) -> "Comparison":
        used = [op for op in OPERATORS if op in self.model_fields_set]
        if len(used) != 1:
            raise ValueError(
                f"a comparison needs exactly one operator of {', '.join(OPERATORS)}"
                + (f"; found {', '.join(used)}" if used else "")
            )
        if getattr(self, used[0]) is None:
            raise ValueError(f"'{used[0]}' needs a value")
        return self

    @property
    def operator(self) -> tuple[str, Any]:
        op = next(op for op in OPERATORS if op in self.model_fields_set)
        return op, getattr(self, op)


def _condition_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        if "all" in value:
            return "all-of"
        if "any" in value:
            return "any-of"
        return "comparison"
    if isinstance(value, AllOf):
        return "all-of"
    if isinstance(value, AnyOf):
        return "any-of"
    if isinstance(value, Comparison):
        return "comparison"
    return None


Condition = Annotated[
    Union[
        Annotated["AllOf", Tag("all-of")],
        Annotated["AnyOf", Tag("any-of")],
        Annotated[Comparison, Tag("comparison")],
    ],
    Discriminator(
        _condition_tag,
        custom_error_type="condition",
        custom_error_message="expected one condition: a mapping with 'all:', 'any:', or 'field:' and an operator",
    ),
]


class AllOf(Strict):
    """True when every condition holds (on the same fact)."""

    all: list[Condition] = Field(min_length=1)


class AnyOf(Strict):
    """True when at least one condition holds (on the same fact)."""

    any: list[Condition] = Field(min_length=1)


AllOf.model_rebuild()
AnyOf.model_rebuild()


class FactRule(Strict):
    """A should-tune rule: tune when it fires on some fact."""

    rule: RuleName
    description: str = ""
    about: Literal["gap", "mean_gap"] = Field(description="the kind of fact the rule looks at")
    when: Condition


class RejectRule(Strict):
    """Refuse the change on the golden set; the first reject rule that fires gives the reason."""

    rule: RuleName
    description: str = ""
    reason: Text
    when: Condition


class ImprovedRule(Strict):
    """The golden set improved; at least one such rule must fire for the change to apply."""

    rule: RuleName
    description: str = ""
    when: Condition


class GoldenValidation(Strict):
    """Golden-set validation before a change is applied (seed 0.4)."""

    reject: list[RejectRule]
    improved: list[ImprovedRule]
    apply_reason: Text
    no_improvement_reason: Text


class Degradation(Strict):
    """Roll back when a metric worsened against the baseline by more than its relative bound."""

    default_bound: float = Field(description="relative to the baseline value: 0.1 is 10%")
    bounds: dict[Name, float] = Field(default_factory=dict, description="per-metric bounds that replace the default")


class Methodology(Strict):
    """How experiments are run (seed 0.1)."""

    batch_size: int = Field(ge=1, description="emulated dialogues per batch")
    one_factor_per_cycle: bool
    max_cycles_per_experiment: int = Field(ge=1)
    max_cycles_per_campaign: int = Field(ge=1)
    continue_until: Literal["targets_met", "no_gap_over_threshold"] = Field(
        description="targets_met: a campaign keeps tuning while any target is missed (seed 0.1, "
        "'repeat until targets met'); no_gap_over_threshold: it stops once should-tune says no (seed 0.2)"
    )
    ab_looks: list[Annotated[int, Field(ge=1)]] = Field(
        default_factory=list,
        description="interim looks of an A/B: after this many of the variant's dialogues the Teacher gives a "
        "verdict, and a decisive one ends the A/B early; strictly increasing, each below batch_size "
        "(the whole batch is always the last look); [] (the default): one look, on the whole batch",
    )


class ParameterPolicy(Strict):
    """What may happen to one impact factor without a person."""

    level: Level = Field(description="auto: may change alone; approval: a reviewer must approve; never: may not change")
    minimum: float
    maximum: float
    max_step: float = Field(gt=0, description="largest change in one experiment")
    description: str = ""


class Autonomy(Strict):
    """Autonomy levels and limits (seed 1.3, Policy & Guardrail Manager)."""

    max_parallel_experiments: int = Field(ge=1)
    one_running_experiment_per_parameter: bool
    four_eyes: bool = Field(description="the proposer of a change may not approve it")
    parameters: dict[Name, ParameterPolicy]


SECTIONS = (
    "metrics",
    "golden_deltas",
    "targets",
    "should_tune",
    "golden_validation",
    "degradation",
    "methodology",
    "autonomy",
)


class RuleFile(Strict):
    """One rule file: any of the sections; together the files of a folder hold each exactly once."""

    model_config = ConfigDict(title="maas-manager rule file")

    metrics: dict[Name, MetricSpec] | None = Field(None, description="metric name -> direction")
    golden_deltas: dict[Name, Name] | None = Field(None, description="golden delta name -> the metric it measures")
    targets: list[TargetEntry] | None = None
    should_tune: list[FactRule] | None = None
    golden_validation: GoldenValidation | None = None
    degradation: Degradation | None = None
    methodology: Methodology | None = None
    autonomy: Autonomy | None = None
