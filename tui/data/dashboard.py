"""The main screen's read model: campaigns with their gaps and trends, the ToDo, what needs a human."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from manager.todo import TodoItem, todo
from store.models import Campaign, Cycle, Experiment, MetricSnapshot, TargetSpec

TREND_POINTS = 16
STATE_ORDER = {"active": 0, "paused": 1, "draft": 2}  # then the finished ones


@dataclass(frozen=True)
class TargetRow:
    metric: str
    segment: str | None
    direction: str | None
    target: float
    threshold: float | None
    priority: str
    current: float | None
    gap: float | None
    exceeds: bool | None
    trend: tuple[float, ...]


@dataclass(frozen=True)
class CampaignRow:
    id: str
    name: str
    goal_text: str
    state: str
    autonomy: str
    cycles_done: int
    cycle_number: int | None
    cycle_state: str | None
    outcome: str
    targets: tuple[TargetRow, ...]
    awaiting: int

    @property
    def over_threshold(self) -> int:
        return sum(1 for t in self.targets if t.exceeds)


@dataclass(frozen=True)
class HumanItem:
    """Something that waits for a person now."""

    kind: str  # approval | campaign
    title: str
    detail: str
    campaign_id: str | None = None
    experiment_id: str | None = None


@dataclass(frozen=True)
class Dashboard:
    campaigns: tuple[CampaignRow, ...]
    todo: tuple[TodoItem, ...]
    needs_human: tuple[HumanItem, ...]


def _key(metric: str, segment: str | None) -> tuple[str, str | None]:
    return (metric, segment)


def _value_of(snap: MetricSnapshot, metric: str, segment: str | None) -> float | None:
    source = snap.segments.get(segment, {}) if segment else snap.metrics
    number = source.get(metric)
    return float(number) if isinstance(number, (int, float)) else None


def campaign_row(store: Any, campaign: Campaign, default_targets: list[TargetSpec], awaiting: int) -> CampaignRow:
    """One campaign: its latest pass, and each target with the gap the rules computed and a trend."""
    cycles = store.page(Cycle, 0, 8, reverse=True, campaign_id=campaign.id)
    latest = cycles[0] if cycles else None
    gaps_cycle = next((c for c in cycles if c.gaps), None)
    specs = list(campaign.targets) or list(default_targets)
    directions = {_key(t.metric, t.segment): t.direction for t in specs}
    snaps = [s for s in store.page(MetricSnapshot, 0, TREND_POINTS * 2, reverse=True,
                                   campaign_id=campaign.id, source="train") if s.variant != "variant"]
    snaps = list(reversed(snaps[:TREND_POINTS]))

    def trend(metric: str, segment: str | None) -> tuple[float, ...]:
        points = (_value_of(s, metric, segment) for s in snaps)
        return tuple(p for p in points if p is not None)

    rows: list[TargetRow] = []
    if gaps_cycle is not None:
        for g in gaps_cycle.gaps:
            metric, segment = str(g.get("metric", "?")), g.get("segment")
            rows.append(TargetRow(
                metric=metric, segment=segment, direction=directions.get(_key(metric, segment)),
                target=float(g.get("target", 0.0)), threshold=g.get("threshold"),
                priority=str(g.get("priority", "")), current=g.get("current"), gap=g.get("gap"),
                exceeds=g.get("exceeds_threshold"), trend=trend(metric, segment)))
    else:  # not evaluated yet: the targets it will be judged by
        for t in specs:
            rows.append(TargetRow(
                metric=t.metric, segment=t.segment, direction=t.direction, target=t.target,
                threshold=t.threshold, priority=t.priority, current=None, gap=None, exceeds=None,
                trend=trend(t.metric, t.segment)))
    return CampaignRow(
        id=campaign.id, name=campaign.name, goal_text=campaign.goal_text, state=campaign.state,
        autonomy=campaign.autonomy, cycles_done=campaign.cycles_done,
        cycle_number=latest.number if latest else None, cycle_state=latest.state if latest else None,
        outcome=campaign.outcome, targets=tuple(rows), awaiting=awaiting)


def _paused_by_manager(store: Any, campaign: Campaign) -> str | None:
    """Why the Manager itself paused a campaign (an adapter failed), or None if a person did."""
    entries = store.log(campaign_id=campaign.id, kind="campaign", reverse=True, limit=1)
    if entries and entries[0].actor == "manager" and entries[0].initiator == "manual":
        return entries[0].reason or entries[0].summary
    return None


class RowCache:
    """Rows of campaigns that run no cycles, kept between refreshes (one reader at a time).

    Only an active campaign gets new cycles and training snapshots; the row of any other
    stays right while its record, the default targets and its awaiting count are the same.
    Reading a row costs two scans of the cycle and snapshot tables (about 6 ms each with
    10,000 experiments behind them), and the main screen re-reads at every commit.
    """

    def __init__(self) -> None:
        self._rows: dict[str, tuple[Campaign, list[TargetSpec], int, CampaignRow]] = {}

    def row(self, store: Any, campaign: Campaign, default_targets: list[TargetSpec], awaiting: int) -> CampaignRow:
        known = self._rows.get(campaign.id)
        if known is not None and known[:3] == (campaign, default_targets, awaiting):
            return known[3]
        row = campaign_row(store, campaign, default_targets, awaiting)
        if campaign.state == "active":
            self._rows.pop(campaign.id, None)
        else:
            self._rows[campaign.id] = (campaign, list(default_targets), awaiting, row)
        return row


def load_dashboard(store: Any, default_targets: list[TargetSpec], cache: RowCache | None = None) -> Dashboard:
    campaigns = store.all(Campaign)
    # active campaigns first, then paused, drafts and finished ones; newest first within each
    campaigns.sort(key=lambda c: (STATE_ORDER.get(c.state, len(STATE_ORDER)), _id_order(c.id)))
    awaiting = store.find(Experiment, state="awaiting_approval")
    per_campaign: dict[str, int] = {}
    for exp in awaiting:
        per_campaign[exp.campaign_id] = per_campaign.get(exp.campaign_id, 0) + 1
    read_row = cache.row if cache is not None else campaign_row
    rows = tuple(read_row(store, c, default_targets, per_campaign.get(c.id, 0)) for c in campaigns)
    names = {c.id: c.name for c in campaigns}
    human: list[HumanItem] = [
        HumanItem("approval", f"{exp.id} {exp.title}",
                  f"awaits approval · {exp.campaign_id} {names.get(exp.campaign_id, '')}".strip(),
                  exp.campaign_id, exp.id)
        for exp in awaiting
    ]
    for c in campaigns:
        if c.state == "failed":
            human.append(HumanItem("campaign", f"Campaign {c.id} failed", c.outcome or c.name, c.id))
        elif c.state == "paused":
            why = _paused_by_manager(store, c)
            if why is not None:
                human.append(HumanItem("campaign", f"Campaign {c.id} paused by the Manager", why, c.id))
    return Dashboard(campaigns=rows, todo=tuple(todo(store)), needs_human=tuple(human))


def _id_order(record_id: str) -> tuple[int, str]:
    """Newest first for store ids like ``cmp-000012``."""
    tail = record_id.rpartition("-")[2]
    return (-int(tail), record_id) if tail.isdigit() else (0, record_id)
