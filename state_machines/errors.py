"""Why a lifecycle refused to move. Every message names the record, its state and the trigger."""

from __future__ import annotations

from collections.abc import Sequence


class LifecycleError(Exception):
    """Base of every refusal by a lifecycle."""


class UnknownState(LifecycleError):
    """A saved record is in a state its machine does not know (a restore would invent a state)."""

    def __init__(self, machine: str, record_id: str, state: str, known: Sequence[str]) -> None:
        self.machine = machine
        self.record_id = record_id
        self.state = state
        self.known = tuple(known)
        super().__init__(
            f"{machine} {record_id or '(unsaved)'} is saved in state {state!r}, which the {machine} "
            f"lifecycle does not know; known states: {', '.join(known)}"
        )


class InvalidTransition(LifecycleError):
    """The trigger does not exist, or does not leave the current state."""

    def __init__(
        self, machine: str, record_id: str, state: str, trigger: str, allowed: Sequence[str], *, known: bool = True
    ) -> None:
        self.machine = machine
        self.record_id = record_id
        self.state = state
        self.trigger = trigger
        self.allowed = tuple(allowed)
        what = f"cannot {trigger!r}" if known else f"has no trigger {trigger!r}"
        allowed_text = ", ".join(allowed) if allowed else "none (terminal state)"
        super().__init__(
            f"{machine} {record_id or '(unsaved)'} in state {state!r} {what}; "
            f"allowed from {state!r}: {allowed_text}"
        )


class GuardFailed(LifecycleError):
    """The transition exists but one of its guards said no."""

    def __init__(self, machine: str, record_id: str, state: str, trigger: str, guard: str, reason: str) -> None:
        self.machine = machine
        self.record_id = record_id
        self.state = state
        self.trigger = trigger
        self.guard = guard
        self.reason = reason
        super().__init__(
            f"{machine} {record_id or '(unsaved)'} in state {state!r} cannot {trigger!r}: "
            f"guard {guard!r} said no ({reason})"
        )
