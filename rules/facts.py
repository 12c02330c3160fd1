"""The facts rules look at, and the checks a fact set passes before it reaches durable-rules.

durable-rules compares whatever it is given (the text "9" is greater than 3), so every
fact set is validated here first: known metric names, finite numbers, nothing missing.
Derived facts (gaps, mean gaps, worsening against the baseline, step sizes) are
arithmetic on the inputs, exact to ``numbers.PLACES`` places; every comparison that
decides something is a rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, Callable, Literal, Sequence

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from rules import numbers
from rules.errors import FactsInvalid
from rules.messages import humanize
from store.models import TargetSpec

PRIORITIES = ("critical", "primary", "secondary")
DIRECTIONS = ("higher_is_better", "lower_is_better")


@dataclass(frozen=True)
class FactKind:
    """A kind of fact: its fields, how each is shown, and what a fact is about."""

    name: str
    text: dict[str, tuple[str, ...] | None]
    numbers: tuple[str, ...]
    booleans: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    identity: tuple[str, ...] = ()
    subject: Callable[[dict[str, Any]], str] = lambda fact: ""

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.text) + self.numbers + self.booleans

    def label(self, name: str) -> str:
        return self.labels.get(name, name.replace("_", " "))


def _gap_subject(fact: dict[str, Any]) -> str:
    return fact["metric"] + (f" [{fact['segment']}]" if fact.get("segment") else "")


GAP = FactKind(
    name="gap",
    text={"metric": None, "segment": None, "priority": PRIORITIES, "direction": DIRECTIONS},
    numbers=("target", "current", "gap", "threshold"),
    identity=("metric", "segment"),
    subject=_gap_subject,
)
MEAN_GAP = FactKind(
    name="mean_gap",
    text={"priority": PRIORITIES},
    numbers=("mean", "count"),
    labels={"mean": "", "count": "targets"},
    identity=("priority",),
    subject=lambda fact: f"mean {fact['priority']} gap",
)
BASELINE_CHANGE = FactKind(
    name="baseline_change",
    text={"metric": None, "direction": DIRECTIONS},
    numbers=("baseline", "current", "worsening", "relative_worsening"),
    identity=("metric",),
    subject=lambda fact: fact["metric"],
)
PROPOSAL = FactKind(
    name="proposal",
    text={"parameter": None, "campaign_autonomy": ("auto", "approval", "manual")},
    numbers=(
        "current",
        "proposed",
        "step",
        "running_experiments_on_parameter",
        "running_experiments",
        "factors_changed_this_cycle",
        "experiment_cycles",
    ),
    booleans=("frozen",),
    labels={"frozen": "is frozen by the campaign", "running_experiments_on_parameter": "other running experiments on it"},
    identity=("parameter",),
    subject=lambda fact: fact["parameter"],
)
PERSON = FactKind(name="person", text={"role": ("proposer", "approver"), "person": None}, numbers=())


def golden_kind(deltas: tuple[str, ...]) -> FactKind:
    return FactKind(name="golden", text={}, numbers=deltas, labels={d: d for d in deltas},
                    subject=lambda fact: "golden set")


# --- inputs ---------------------------------------------------------------------------

class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class DecideInput(_Input):
    """One fact set for ``decide`` (DESIGN.md): rates are fractions, latency seconds."""

    metrics: dict[str, float]
    golden_delta: dict[str, float] | None = None
    baseline: dict[str, float] | None = None
    segments: dict[str, dict[str, float]] = Field(default_factory=dict)


Person = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ChangeInput(_Input):
    """A proposed change of one impact factor, as the policy gate sees it."""

    parameter: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    current: float
    proposed: float
    campaign_autonomy: Literal["auto", "approval", "manual"]
    frozen: bool
    running_experiments_on_parameter: int = Field(ge=0)
    running_experiments: int = Field(ge=0)
    factors_changed_this_cycle: int = Field(ge=0)
    experiment_cycles: int = Field(ge=0)


class ApprovalInput(_Input):
    approver: Person
    proposer: Person


def _dotted(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path) or "facts"


def validate_input(model: type[_Input], facts: Any) -> Any:
    """The validated input, or FactsInvalid naming every problem and where."""
    if not isinstance(facts, dict):
        raise FactsInvalid(f"a fact set must be a JSON object, got {type(facts).__name__}")
    try:
        return model.model_validate(facts, strict=True)
    except ValidationError as exc:
        problems = [f"{_dotted(path)}: {message}" for path, message, _ in humanize(exc, facts, model)]
        raise invalid(problems) from None


MAX_PROBLEMS = 10
MAX_PROBLEM_CHARS = 300


def invalid(problems: list[str]) -> FactsInvalid:
    """The problems, at a readable size: thousands of bad keys, or one huge key, are not echoed whole."""
    shown = [p if len(p) <= MAX_PROBLEM_CHARS else p[: MAX_PROBLEM_CHARS - 1] + "…" for p in problems[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        shown.append(f"and {len(problems) - MAX_PROBLEMS} more problem(s)")
    return FactsInvalid("; ".join(shown))


def _check_numbers(values: dict[str, Any], where: str, problems: list[str]) -> None:
    # a float is beyond the limit exactly when the decimal it was written as is (the limit is a float)
    for name, value in values.items():
        if isinstance(value, float | int) and not isinstance(value, bool) and abs(value) > numbers.LIMIT_NUMBER:
            problems.append(f"{where}.{name}: {value!r} is outside ±{numbers.text(numbers.LIMIT)}")


# --- derived facts ---------------------------------------------------------------------

@dataclass
class Fact:
    """A fact as asserted: ``values`` hold Decimals, text and booleans (not changed once made)."""

    id: str
    kind: FactKind
    values: dict[str, Any]
    _plain: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    def plain(self) -> dict[str, Any]:
        """The values with JSON numbers; made once, share it read-only."""
        if self._plain is None:
            self._plain = {k: numbers.plain(v) if isinstance(v, Decimal) else v for k, v in self.values.items()}
        return self._plain

    def encoded(self, sid: str, fields: tuple[str, ...]) -> dict[str, Any]:
        """What durable-rules receives in session ``sid``: the ``fields`` rules compare
        (others cannot change a match), numbers as fixed-point integers."""
        out: dict[str, Any] = {"id": self.id, "sid": sid, "kind": self.kind.name}
        values = self.values
        for key in fields:
            if key in values:
                value = values[key]
                out[key] = numbers.to_fixed(value) if isinstance(value, Decimal) else value
        return out


def gap_of(direction: str, target: Decimal, current: Decimal) -> Decimal:
    """target − current where higher is better, current − target where lower is better."""
    raw = target - current if direction == "higher_is_better" else current - target
    return numbers.clamp(numbers.quantize(raw))


def worsening_of(direction: str, baseline: Decimal, current: Decimal) -> tuple[Decimal, Decimal]:
    """(absolute, relative to |baseline|) worsening; positive is worse."""
    worse = baseline - current if direction == "higher_is_better" else current - baseline
    if baseline != 0:
        relative = worse / abs(baseline)
    else:  # any worsening of a zero baseline is beyond every relative bound
        relative = numbers.CLAMP * (1 if worse > 0 else -1 if worse < 0 else 0)
    return numbers.clamp(numbers.quantize(worse)), numbers.clamp(numbers.quantize(relative))


@dataclass(frozen=True)
class TargetRow:
    """A target with its numbers read once, as gap facts carry them."""

    metric: str
    segment: str | None
    priority: str
    direction: str
    target: Decimal
    threshold: Decimal


def target_rows(targets: Sequence[TargetSpec]) -> tuple[TargetRow, ...]:
    """Read once per rule book (or campaign targets), not per fact set."""
    return tuple(TargetRow(t.metric, t.segment, t.priority, t.direction, numbers.read(t.target), numbers.read(t.threshold))
                 for t in targets)


def check_targets(targets: list[TargetSpec], catalog: dict[str, str]) -> None:
    """A campaign's own targets must name known metrics, the right way, with usable numbers."""
    problems: list[str] = []
    seen: set[tuple[str, str | None]] = set()
    for index, target in enumerate(targets):
        where = f"targets.{index}"
        if target.metric not in catalog:
            problems.append(f"{where}.metric: unknown metric '{target.metric}' (known: {', '.join(catalog)})")
        elif catalog[target.metric] != target.direction:
            problems.append(f"{where}.direction: {target.metric} is {catalog[target.metric]}, not {target.direction}")
        for name in ("target", "threshold"):
            value = getattr(target, name)
            try:
                magnitude = abs(numbers.exact(value))
            except (TypeError, ValueError):
                problems.append(f"{where}.{name}: expected a finite number, got {value!r}")
                continue
            if magnitude > numbers.LIMIT:
                problems.append(f"{where}.{name}: {value!r} is outside ±{numbers.text(numbers.LIMIT)}")
            elif name == "threshold" and value < 0:
                problems.append(f"{where}.threshold: must not be negative, got {value!r}")
        key = (target.metric, target.segment)
        if key in seen:
            problems.append(f"{where}: a second target for {target.metric}" + (f" [{target.segment}]" if target.segment else ""))
        seen.add(key)
    if problems:
        raise invalid(problems)


def decide_facts(
    facts: Any,
    targets: Sequence[TargetRow],
    catalog: dict[str, str],
    golden_deltas: tuple[str, ...],
) -> tuple[DecideInput, list[Fact]]:
    """Validate a decide fact set and derive the facts the rules look at."""
    given = validate_input(DecideInput, facts)
    problems: list[str] = []
    known = ", ".join(catalog)
    for where, values in (("metrics", given.metrics), ("baseline", given.baseline or {})):
        for name in values:
            if name not in catalog:
                problems.append(f"{where}.{name}: unknown metric (known: {known})")
        _check_numbers(values, where, problems)
    for segment, values in given.segments.items():
        for name in values:
            if name not in catalog:
                problems.append(f"segments.{segment}.{name}: unknown metric (known: {known})")
        _check_numbers(values, f"segments.{segment}", problems)
    if given.golden_delta is not None:
        for name in given.golden_delta:
            if name not in golden_deltas:
                problems.append(f"golden_delta.{name}: unknown golden delta (known: {', '.join(golden_deltas)})")
        for name in golden_deltas:
            if name not in given.golden_delta:
                problems.append(f"golden_delta.{name}: missing (every golden delta is needed to validate)")
        _check_numbers(given.golden_delta, "golden_delta", problems)
    for name in given.baseline or {}:
        if name in catalog and name not in given.metrics:
            problems.append(f"baseline.{name}: metrics has no current value to compare with")
    missing = [t.metric for t in targets if t.segment is None and t.metric not in given.metrics]
    if missing:
        problems.append(f"metrics: missing {', '.join(dict.fromkeys(missing))} (targets need them)")
    for target in targets:
        if target.segment is not None and target.metric not in given.segments.get(target.segment, {}):
            problems.append(f"segments.{target.segment}.{target.metric}: missing (a target needs it)")
    if problems:
        raise invalid(problems)

    derived: list[Fact] = []
    by_priority: dict[str, list[Decimal]] = {}
    for index, target in enumerate(targets):
        source = given.metrics if target.segment is None else given.segments[target.segment]
        current = numbers.read(source[target.metric])
        goal, threshold = target.target, target.threshold
        gap = gap_of(target.direction, goal, current)
        by_priority.setdefault(target.priority, []).append(gap)
        derived.append(Fact(f"g{index}", GAP, {
            "metric": target.metric, "segment": target.segment or "", "priority": target.priority,
            "direction": target.direction, "target": goal, "current": current, "gap": gap, "threshold": threshold,
        }))
    for priority in PRIORITIES:
        gaps = by_priority.get(priority)
        if gaps:
            mean = numbers.quantize(sum(gaps, Decimal(0)) / len(gaps))
            derived.append(Fact(f"m{priority}", MEAN_GAP, {"priority": priority, "mean": mean, "count": Decimal(len(gaps))}))
    if given.golden_delta is not None:
        derived.append(Fact("golden", golden_kind(golden_deltas), {
            name: numbers.read(given.golden_delta[name]) for name in golden_deltas
        }))
    for index, (name, value) in enumerate((given.baseline or {}).items()):
        baseline, current = numbers.read(value), numbers.read(given.metrics[name])
        worse, relative = worsening_of(catalog[name], baseline, current)
        derived.append(Fact(f"b{index}", BASELINE_CHANGE, {
            "metric": name, "direction": catalog[name], "baseline": baseline, "current": current,
            "worsening": worse, "relative_worsening": relative,
        }))
    return given, derived


def change_facts(facts: Any) -> tuple[ChangeInput, list[Fact]]:
    given = validate_input(ChangeInput, facts)
    problems: list[str] = []
    _check_numbers({"current": given.current, "proposed": given.proposed}, "facts", problems)
    if problems:
        raise invalid(problems)
    current, proposed = numbers.read(given.current), numbers.read(given.proposed)
    values: dict[str, Any] = {
        "parameter": given.parameter,
        "campaign_autonomy": given.campaign_autonomy,
        "current": current,
        "proposed": proposed,
        "step": numbers.clamp(abs(proposed - current)),
        "frozen": given.frozen,
    }
    for name in ("running_experiments_on_parameter", "running_experiments", "factors_changed_this_cycle", "experiment_cycles"):
        values[name] = numbers.clamp(Decimal(getattr(given, name)))
    return given, [Fact("p", PROPOSAL, values)]


def approval_facts(facts: Any) -> tuple[ApprovalInput, list[Fact]]:
    """People are compared case- and space-insensitively: 'Ann ' approves as 'ann'."""
    given = validate_input(ApprovalInput, facts)
    return given, [
        Fact("proposer", PERSON, {"role": "proposer", "person": given.proposer.casefold()}),
        Fact("approver", PERSON, {"role": "approver", "person": given.approver.casefold()}),
    ]
