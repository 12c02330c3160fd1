"""Task lifecycle: an item of the Manager's ToDo, a background task (seed 0.1, 0.3).

pending → running → completed | failed; ``cancelled`` when its campaign is paused or
abandoned before the task ends. A task that could not even start fails from pending.
"""

from __future__ import annotations

from state_machines.definition import LifecycleDefinition, Move
from state_machines.lifecycle import Lifecycle, named_trigger
from store.models import Task

TASK = LifecycleDefinition(
    name="task",
    record_type=Task,
    states=("pending", "running", "completed", "failed", "cancelled"),
    initial="pending",
    moves=(
        Move("start", ("pending",), "running"),
        Move("complete", ("running",), "completed"),
        Move("fail", ("pending", "running"), "failed"),
        Move("cancel", ("pending", "running"), "cancelled"),
    ),
    transient=frozenset({"running"}),
)

TASK_TERMINAL = TASK.terminal
TASK_TRANSIENT = TASK.transient


class TaskLifecycle(Lifecycle):
    """A task record under its lifecycle."""

    definition = TASK
    __slots__ = ()

    start = named_trigger("start", "pending → running.")
    complete = named_trigger("complete", "running → completed.")
    fail = named_trigger("fail", "pending | running → failed: the work raised (put the error in changes).")
    cancel = named_trigger("cancel", "pending | running → cancelled.")
