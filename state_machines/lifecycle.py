"""Runs a lifecycle definition over one record: guarded, persisted, all or nothing.

One ``transitions.Machine`` is built per lifecycle class and shared by every record of
that kind. Records are never handed to ``transitions`` (the machine sets attributes on
its model): each trigger call moves a small ``_Firing`` that carries a copy of the
record. The copy gets the new state and history entry and is saved *before* the state
changes (``before_state_change``), so a failing ``save`` leaves the record, the state
and the storage as they were; only after a successful save is the copy written back
into the record. A per-record lock serialises concurrent triggers on one record.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from pydantic import ValidationError
from transitions import EventData, Machine

from state_machines.definition import LifecycleDefinition
from state_machines.errors import GuardFailed, InvalidTransition, LifecycleError, UnknownState
from store.models import Record, utcnow

# fields a caller may not pass in ``changes``: the lifecycle writes them itself
_OWN_FIELDS = frozenset({"id", "state", "history", "created_at", "updated_at"})
# keys of a history entry that context may not override
_ENTRY_KEYS = frozenset({"from", "to", "trigger", "at"})


class _Firing:
    """The model ``transitions`` moves during one trigger call."""

    __slots__ = ("state", "source", "trigger", "candidate", "context", "lifecycle", "refused")

    def __init__(self, lifecycle: Lifecycle, trigger: str, candidate: Record, context: dict[str, Any]) -> None:
        self.state = candidate.state
        self.source = candidate.state
        self.trigger = trigger
        self.candidate = candidate
        self.context = context
        self.lifecycle = lifecycle
        self.refused: tuple[str, str] | None = None


def _condition(guard: str) -> Callable[[EventData], bool]:
    def check(event: EventData) -> bool:
        firing: _Firing = event.model
        ok, reason = firing.lifecycle._guard(guard, firing.candidate)
        if not ok:
            firing.refused = (guard, reason)
        return ok

    check.__name__ = guard
    return check


def _stage(event: EventData) -> None:
    firing: _Firing = event.model
    firing.lifecycle._stage(firing, event.transition.dest)


def _build_machine(definition: LifecycleDefinition) -> Machine:
    return Machine(
        model=[],
        states=list(definition.states),
        initial=definition.initial,
        transitions=definition.machine_transitions(_condition),
        auto_transitions=False,
        send_event=True,
        ignore_invalid_triggers=False,
        # queued=True would make one queue for every record of the kind, across threads;
        # serialisation is per record instead (the lifecycle's lock), re-entry is refused
        queued=False,
        before_state_change=[_stage],
        name=definition.name,
    )


def named_trigger(name: str, doc: str) -> Callable[..., Record]:
    """A method that fires ``name``; lifecycles list theirs so callers read ``lc.start()``."""

    def fire(self: Lifecycle, *, changes: Mapping[str, Any] | None = None, **context: Any) -> Record:
        return self.trigger(name, changes=changes, **context)

    fire.__name__ = fire.__qualname__ = name
    fire.__doc__ = doc
    return fire


class Lifecycle:
    """One record under its lifecycle.

    ``save`` receives a copy of the record already in the new state (the Manager passes
    ``store.update``); whatever it changes on that copy is kept. ``guards`` fill in the
    definition's hook guards, each a ``callable(record) -> bool``.
    """

    definition: ClassVar[LifecycleDefinition]
    _machine: ClassVar[Machine]
    __slots__ = ("_record", "_save", "_hooks", "_lock", "_firing")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "definition" in cls.__dict__:
            cls._machine = _build_machine(cls.definition)

    def __init__(
        self, record: Record, save: Callable[[Record], Any] | None = None, **guards: Callable[[Record], bool]
    ) -> None:
        d = self.definition
        kind = type(self).__name__
        if not isinstance(record, d.record_type):
            raise TypeError(f"{kind} runs over {d.record_type.__name__} records, not {type(record).__name__}")
        if record.state not in d.states:
            raise UnknownState(d.name, record.id, record.state, d.states)
        unknown = sorted(set(guards) - d.hooks)
        if unknown:
            hooks = ", ".join(sorted(d.hooks)) or "none"
            raise TypeError(f"{kind}: no guard hook named {', '.join(unknown)}; its hooks: {hooks}")
        for name, hook in guards.items():
            if not callable(hook):
                raise TypeError(f"{kind}: guard hook {name!r} must be callable(record) -> bool, got {hook!r}")
        if save is not None and not callable(save):
            raise TypeError(f"{kind}: save must be callable(record), got {save!r}")
        self._record = record
        self._save = save
        self._hooks = dict(guards)
        self._lock = threading.RLock()
        self._firing: str | None = None

    @property
    def record(self) -> Record:
        return self._record

    @property
    def state(self) -> str:
        return self._record.state

    def allowed_triggers(self) -> list[str]:
        """Triggers that leave the current state, in definition order; guards are not consulted (see ``can``)."""
        return self.definition.allowed(self.state)

    def can(self, name: str, *, changes: Mapping[str, Any] | None = None) -> bool:
        """Whether ``name`` would move the record now: it leaves the state and every guard agrees."""
        with self._lock:
            move = self.definition.move(name, self.state)
            if move is None:
                return False
            candidate = self._candidate(changes) if changes else self._record
            return all(self._guard(guard, candidate)[0] for guard in move.guards)

    def trigger(self, name: str, /, *, changes: Mapping[str, Any] | None = None, **context: Any) -> Record:
        """Fire ``name``; ``changes`` are record fields saved together with the new state.

        ``context`` (a reason, an actor, ...) is added to the history entry. Raises
        ``InvalidTransition`` or ``GuardFailed`` and changes nothing; if ``save`` raises, its
        error propagates and nothing changes either. Returns the record.
        """
        d = self.definition
        with self._lock:
            if self._firing is not None:
                raise LifecycleError(
                    f"{self._label} is in the middle of {self._firing!r}; "
                    f"a trigger from inside a guard hook or save ({name!r}) is refused"
                )
            state = self.state
            if d.move(name, state) is None:
                known = name in d.triggers
                raise InvalidTransition(d.name, self._record.id, state, name, d.allowed(state), known=known)
            clash = sorted(_ENTRY_KEYS & context.keys())
            if clash:
                raise ValueError(f"{self._label}: context keys {clash} are reserved for the history entry")
            firing = _Firing(self, name, self._candidate(changes), dict(context))
            self._firing = name
            try:
                moved = self._machine.events[name].trigger(firing)
            finally:
                self._firing = None
            if not moved:
                guard, reason = firing.refused or ("?", "no reason recorded")
                raise GuardFailed(d.name, self._record.id, state, name, guard, reason)
            self._commit(firing.candidate)
            return self._record

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._record.id or '(unsaved)'} state={self.state!r}>"

    # -- internals, called by the shared machine --------------------------------------

    @property
    def _label(self) -> str:
        return f"{self.definition.name} {self._record.id or '(unsaved)'}"

    def _candidate(self, changes: Mapping[str, Any] | None) -> Record:
        candidate = self._record.model_copy(deep=True)
        fields = type(candidate).model_fields
        for field, value in (changes or {}).items():
            if field in _OWN_FIELDS:
                raise ValueError(f"{self._label}: {field!r} is set by the lifecycle, not by changes")
            if field not in fields:
                raise ValueError(f"{self._label}: {type(candidate).__name__} has no field {field!r}")
            try:
                setattr(candidate, field, value)
            except ValidationError as err:
                raise ValueError(f"{self._label}: invalid change to {field!r}: {err}") from err
        return candidate

    def _guard(self, name: str, record: Record) -> tuple[bool, str]:
        guard = self.definition.guards[name]
        if guard.check is not None:
            return bool(guard.check(record)), f"needs: {guard.says}"
        hook = self._hooks.get(name)
        if hook is None:
            return False, (
                f"needs: {guard.says}, but no hook was given; "
                f"pass {name}=<callable(record) -> bool> to {type(self).__name__}"
            )
        return bool(hook(record)), f"needs: {guard.says}"

    def _stage(self, firing: _Firing, dest: str) -> None:
        candidate = firing.candidate
        now = utcnow()
        candidate.state = dest
        if "history" in type(candidate).model_fields:
            entry = {"from": firing.source, "to": dest, "trigger": firing.trigger, "at": now.isoformat()}
            candidate.history = [*candidate.history, {**entry, **firing.context}]
        candidate.updated_at = now
        if self._save is not None:
            self._save(candidate)

    def _commit(self, candidate: Record) -> None:
        record = self._record
        for field in type(record).model_fields:
            value = getattr(candidate, field)
            if getattr(record, field) != value:
                setattr(record, field, value)
