"""What an operator should hear about at once: new approval requests, automatic rollbacks, errors.

Read from the store, so an observer of another process's engine hears the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from store.models import Experiment

MAX_NOTES = 4
LOG_WINDOW = 500  # at most this many new entries are looked at per round


@dataclass(frozen=True)
class Note:
    text: str
    title: str
    severity: str  # information | warning | error


@dataclass(frozen=True)
class NewsState:
    log_seen: int
    awaiting: frozenset[str] = field(default_factory=frozenset)


def _awaiting(store: Any) -> dict[str, Experiment]:
    return {e.id: e for e in store.find(Experiment, state="awaiting_approval")}


def first_news(store: Any) -> tuple[NewsState, list[Note]]:
    awaiting = _awaiting(store)
    notes = []
    if awaiting:
        n = len(awaiting)
        notes.append(Note(f"{n} change{'s' if n > 1 else ''} await{'' if n > 1 else 's'} your approval "
                          "(press 2).", "Needs a human", "warning"))
    return NewsState(store.log_count(), frozenset(awaiting)), notes


def next_news(store: Any, state: NewsState) -> tuple[NewsState, list[Note]]:
    notes: list[Note] = []
    count = store.log_count()
    start = max(state.log_seen, count - LOG_WINDOW)
    for entry in store.log(offset=start, limit=count - start) if count > start else []:
        if entry.kind == "rollback" and entry.initiator == "auto":
            notes.append(Note(entry.summary, "Rolled back automatically", "warning"))
        elif entry.kind == "error":
            notes.append(Note(entry.summary, "Engine error", "error"))
        elif entry.kind == "rules" and entry.data.get("errors"):
            notes.append(Note(f"{entry.summary}: {entry.data['errors'][0]}", "Rule files refused", "warning"))
    awaiting = _awaiting(store)
    for exp_id in sorted(set(awaiting) - state.awaiting):
        exp = awaiting[exp_id]
        notes.append(Note(f"{exp.id} {exp.title} awaits your approval (press 2).", "Needs a human", "warning"))
    if len(notes) > MAX_NOTES:
        rest = len(notes) - (MAX_NOTES - 1)
        notes = notes[: MAX_NOTES - 1] + [Note(f"and {rest} more: see the History screen (4).", "More news",
                                                "information")]
    return NewsState(count, frozenset(awaiting)), notes
