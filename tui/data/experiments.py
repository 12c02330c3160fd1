"""Experiments: the approvals queue, a page of the registry, one experiment in full."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from store.models import Approval, Campaign, Cycle, Experiment

# States an operator filters by, in lifecycle order.
STATES = ("planned", "running", "completed", "analyzed", "awaiting_approval", "applied", "rolled_back",
          "rejected", "failed")


@dataclass(frozen=True)
class Fired:
    rule: str
    because: str


@dataclass(frozen=True)
class ExperimentView:
    """Everything a reviewer needs about one experiment."""

    experiment: Experiment
    campaign_name: str
    cycle_number: int | None
    approvals: tuple[Approval, ...] = ()
    why_human: tuple[Fired, ...] = ()  # the policy rules that asked for a person
    fired: tuple[Fired, ...] = ()  # every rule that fired on this experiment, in order
    waiting_since: str | None = None


def fired_list(items: Any) -> tuple[Fired, ...]:
    out = []
    for item in items or []:
        if isinstance(item, dict):
            out.append(Fired(str(item.get("rule", "?")), str(item.get("because", ""))))
    return tuple(out)


def _history_at(exp: Experiment, to_state: str) -> str | None:
    for step in reversed(exp.history):
        if step.get("to") == to_state:
            return str(step.get("at", "")) or None
    return None


def load_experiment(store: Any, experiment_id: str) -> ExperimentView:
    exp = store.get(Experiment, experiment_id)
    try:
        campaign_name = store.get(Campaign, exp.campaign_id).name
    except KeyError:
        campaign_name = ""
    cycle_number = None
    if exp.cycle_id:
        try:
            cycle_number = store.get(Cycle, exp.cycle_id).number
        except KeyError:
            pass
    policy = exp.policy or {}
    seen: set[tuple[str, str]] = set()
    fired = []
    for f in fired_list(exp.fired) + fired_list((exp.golden_validation or {}).get("fired")):
        if (f.rule, f.because) not in seen:
            seen.add((f.rule, f.because))
            fired.append(f)
    # the policy gate's rules decided that a person must answer
    why = fired_list(policy.get("fired")) if policy.get("needs_approval") else ()
    return ExperimentView(
        experiment=exp, campaign_name=campaign_name, cycle_number=cycle_number,
        approvals=tuple(store.find(Approval, experiment_id=exp.id)), why_human=why, fired=tuple(fired),
        waiting_since=_history_at(exp, "awaiting_approval"))


@dataclass(frozen=True)
class QueueItem:
    id: str
    campaign_id: str
    campaign_name: str
    title: str
    golden: str
    why: str
    hypothesis: str
    waiting_since: str | None


def load_queue(store: Any) -> tuple[QueueItem, ...]:
    """Experiments awaiting a reviewer, oldest first."""
    items = []
    names: dict[str, str] = {}
    for exp in store.find(Experiment, state="awaiting_approval"):
        if exp.campaign_id not in names:
            try:
                names[exp.campaign_id] = store.get(Campaign, exp.campaign_id).name
            except KeyError:
                names[exp.campaign_id] = ""
        policy = exp.policy or {}
        items.append(QueueItem(
            id=exp.id, campaign_id=exp.campaign_id, campaign_name=names[exp.campaign_id], title=exp.title,
            golden=str((exp.golden_validation or {}).get("reason", "")),
            why="; ".join(str(r) for r in policy.get("reasons", [])), hypothesis=exp.hypothesis,
            waiting_since=_history_at(exp, "awaiting_approval")))
    return tuple(items)


@dataclass(frozen=True)
class ExperimentFilter:
    campaign_id: str | None = None
    state: str | None = None

    def equals(self) -> dict[str, str]:
        out = {}
        if self.campaign_id:
            out["campaign_id"] = self.campaign_id
        if self.state:
            out["state"] = self.state
        return out


@dataclass(frozen=True)
class ExperimentRow:
    id: str
    campaign_id: str
    title: str
    state: str
    verdict: str
    golden: str


def experiment_rows(store: Any, where: ExperimentFilter, offset: int, limit: int) -> list[ExperimentRow]:
    """Newest first; ``offset``/``limit`` page through the registry without reading all of it."""
    out = []
    for exp in store.page(Experiment, offset, limit, reverse=True, **where.equals()):
        gv = exp.golden_validation or {}
        golden = "" if not gv else ("apply" if gv.get("apply") else "reject")
        out.append(ExperimentRow(exp.id, exp.campaign_id, exp.title, exp.state,
                                 str((exp.verdict or {}).get("outcome", "")), golden))
    return out


@dataclass(frozen=True)
class Choices:
    """Values for filter menus."""

    campaigns: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (id, name)


def load_choices(store: Any) -> Choices:
    return Choices(campaigns=tuple((c.id, c.name) for c in reversed(store.all(Campaign))))
