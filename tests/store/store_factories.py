"""Small record factories for the store tests."""

from __future__ import annotations

from store.models import Campaign, ChangeLogEntry, Experiment


def campaign(name: str = "lift precision") -> Campaign:
    return Campaign(name=name, goal_text=f"goal of {name}")


def experiment(campaign_id: str = "cmp-000001", title: str = "top-k +1") -> Experiment:
    return Experiment(campaign_id=campaign_id, title=title)


def entry(kind: str = "experiment.planned", summary: str = "planned", **fields) -> ChangeLogEntry:
    return ChangeLogEntry(kind=kind, summary=summary, **fields)
