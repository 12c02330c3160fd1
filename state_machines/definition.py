"""A lifecycle as data: states, moves and guards. One definition serves every record of its kind."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from store.models import Record


@dataclass(frozen=True)
class Guard:
    """A condition a move needs. ``check`` reads the record; ``None`` makes it a hook the caller fills in."""

    name: str
    says: str
    check: Callable[[Any], bool] | None = None

    @property
    def is_hook(self) -> bool:
        return self.check is None


@dataclass(frozen=True)
class Move:
    """A transition: ``trigger`` takes a record from any of ``sources`` to ``dest`` when every guard agrees."""

    trigger: str
    sources: tuple[str, ...]
    dest: str
    guards: tuple[str, ...] = ()


@dataclass(frozen=True)
class LifecycleDefinition:
    """States, moves and guards of one lifecycle, checked for consistency when built.

    ``transient`` holds the states in which work was in flight, so that after a restart
    the Manager resumes (or fails) records found there. Terminal states are derived:
    the states no move leaves.
    """

    name: str
    record_type: type[Record]
    states: tuple[str, ...]
    initial: str
    moves: tuple[Move, ...]
    transient: frozenset[str]
    guards: Mapping[str, Guard] = field(default_factory=dict)
    _table: dict[tuple[str, str], Move] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        where = f"lifecycle {self.name!r}"
        known = set(self.states)
        if len(known) != len(self.states):
            raise ValueError(f"{where}: a state is listed twice in {self.states}")
        if self.initial not in known:
            raise ValueError(f"{where}: initial state {self.initial!r} is not one of {self.states}")
        if not self.transient <= known:
            raise ValueError(f"{where}: transient states {sorted(self.transient - known)} are not states")
        for key, guard in self.guards.items():
            if key != guard.name:
                raise ValueError(f"{where}: guard registered as {key!r} is named {guard.name!r}")
        table: dict[tuple[str, str], Move] = {}
        for move in self.moves:
            for state in (*move.sources, move.dest):
                if state not in known:
                    raise ValueError(f"{where}: move {move.trigger!r} names unknown state {state!r}")
            for guard in move.guards:
                if guard not in self.guards:
                    raise ValueError(f"{where}: move {move.trigger!r} names unknown guard {guard!r}")
            for source in move.sources:
                # one move per (trigger, source): a refused guard then names exactly one reason
                if (move.trigger, source) in table:
                    raise ValueError(f"{where}: trigger {move.trigger!r} leaves {source!r} twice")
                table[(move.trigger, source)] = move
        object.__setattr__(self, "_table", table)

    @property
    def triggers(self) -> tuple[str, ...]:
        """Every trigger, in the order the moves are written."""
        return tuple(dict.fromkeys(move.trigger for move in self.moves))

    @property
    def terminal(self) -> frozenset[str]:
        left = {source for _trigger, source in self._table}
        return frozenset(s for s in self.states if s not in left)

    @property
    def hooks(self) -> frozenset[str]:
        return frozenset(name for name, guard in self.guards.items() if guard.is_hook)

    def move(self, trigger: str, state: str) -> Move | None:
        return self._table.get((trigger, state))

    def allowed(self, state: str) -> list[str]:
        """Triggers that leave ``state``, guards not considered."""
        return [t for t in self.triggers if (t, state) in self._table]

    def machine_transitions(self, condition: Callable[[str], Any]) -> list[dict[str, Any]]:
        """The moves in the form ``transitions.Machine`` takes; ``condition`` turns a guard name into a condition."""
        return [
            {
                "trigger": move.trigger,
                "source": list(move.sources),
                "dest": move.dest,
                **({"conditions": [condition(g) for g in move.guards]} if move.guards else {}),
            }
            for move in self.moves
        ]
