"""What one clause of a goal yields, and the scan that reads it.

The constants here are the translator's own (not the rule files'): what "cost" and
"quality" mean in a goal, and which metrics a goal may put a hard limit on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from manager.goals import lexicon, wording
from store.models import TargetSpec

COST_METRIC = "latency_p95_s"
"""Cost is measured as latency P95: context tokens drive both the price and the latency."""

COST_LATENCY_CUT = 0.1
"""Seconds off the current latency P95 that "optimize cost" aims for. Like every relative
target (TargetSpec.relative_to_baseline) it is added to the first measured value, in the
metric's unit."""

QUALITY_METRICS = ("hallucination_rate", "retrieval_precision", "retrieval_recall", "context_utilization")
"""What "quality" means in a goal: the metrics of memory quality (seed 0.2), those the rule files have."""

CONSTRAINT_METRICS = {"latency_p95_s": "max_latency_p95_s", "error_rate": "max_error_rate"}
"""Metrics a goal may put a hard limit on, and the constraint key each limit gets."""

HOLDS = ("hold", "hold_below", "hold_above")


@dataclass(frozen=True)
class Vocabulary:
    """What this translation knows: the rule files' targets, the factors, the segments."""

    defaults: dict[str, TargetSpec]    # one per metric, unscoped
    factors: tuple[str, ...]
    segments: tuple[str, ...]
    lang: str
    scoped: dict[tuple[str, str], TargetSpec] = field(default_factory=dict)   # the rule files' per-segment ones

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(self.defaults)

    def default(self, metric: str, segment: str | None) -> TargetSpec:
        """The rule files' target for this metric (and segment, when they have one for it)."""
        spec = self.scoped.get((metric, segment)) if segment else None
        return (spec or self.defaults[metric]).model_copy(update={"segment": segment, "relative_to_baseline": None})


@dataclass
class Intent:
    """A target that one clause asks for."""

    spec: TargetSpec
    origin: str    # metric | quality | cost
    clause: str


@dataclass
class Reading:
    clause: str
    intents: list[Intent] = field(default_factory=list)
    constraints: dict[str, float] = field(default_factory=dict)
    frozen: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)
    autonomy: list[str] = field(default_factory=list)
    priorities: list[tuple[str, ...]] = field(default_factory=list)
    cost: bool = False
    problems: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    against: list[str] = field(default_factory=list)    # metrics asked to rise though lower is better
    notes: list[str] = field(default_factory=list)
    # the clause's shape, for joining "increase precision and recall by 5 pp"
    verb: str | None = None
    has_value: bool = False
    has_names: bool = False
    factor_clause: bool = False
    constraint_shaped: bool = False
    only_factors: bool = False
    meaningful: bool = False

    @property
    def head(self) -> bool:
        return bool(self.autonomy or self.priorities)

    @property
    def produced(self) -> bool:
        return bool(self.intents or self.constraints or self.frozen or self.allowed or self.head)


class Scan:
    """The clause with every recognised phrase blanked out, so positions stay put."""

    def __init__(self, text: str) -> None:
        self.rest = text

    def take(self, pattern: re.Pattern[str]) -> list[re.Match[str]]:
        found = list(pattern.finditer(self.rest))
        for m in found:
            self.blank(m.start(), m.end())
        return found

    def blank(self, start: int, end: int) -> None:
        self.rest = self.rest[:start] + " " * (end - start) + self.rest[end:]

    def tokens(self) -> list[re.Match[str]]:
        return list(re.finditer(r"[^\W_]+(?:['_-][^\W_]+)*|[<>=]+", self.rest))

    def leftover(self) -> list[re.Match[str]]:
        return [t for t in self.tokens() if t.group(0) not in lexicon.STOPWORDS]


def problem(reading: Reading, vocab: Vocabulary, key: str, known: tuple[str, ...], **fields: object) -> None:
    """Refuse the clause: why, then what is known instead (metrics, segments, factors, forms)."""
    lang = vocab.lang
    parts = [wording.say(lang, key, **fields)]
    for kind in known:
        if kind == "metrics":
            parts.append(wording.known_metrics(list(vocab.metrics), lang))
        elif kind == "segments":
            parts.append(wording.known_list("known_segments", list(vocab.segments), lang))
        elif kind == "factors":
            parts.append(wording.known_list("known_factors", list(vocab.factors), lang))
        elif kind == "forms":
            parts.append(wording.say(lang, "known_forms"))
    quote = "«{}»" if lang == "ru" else "'{}'"
    reading.problems.append(quote.format(reading.clause) + ": " + "; ".join(parts))
