"""Learning cycle lifecycle (seed 0.3).

IDLE → EMULATING → EVALUATING → ANALYZING → TUNING → EMULATING …; ANALYZING → IDLE when
no gap calls for tuning. ``stop`` pauses a running cycle back to IDLE. FAILED (terminal)
records that an adapter error broke this pass, so a report can say which pass failed;
the campaign then starts a new cycle.
"""

from __future__ import annotations

from state_machines.definition import Guard, LifecycleDefinition, Move
from state_machines.lifecycle import Lifecycle, named_trigger
from store.models import Cycle

_WORKING = ("EMULATING", "EVALUATING", "ANALYZING", "TUNING")

CYCLE = LifecycleDefinition(
    name="cycle",
    record_type=Cycle,
    states=("IDLE", *_WORKING, "FAILED"),
    initial="IDLE",
    moves=(
        Move("start", ("IDLE",), "EMULATING"),
        Move("complete", ("EMULATING",), "EVALUATING"),
        Move("analyze", ("EVALUATING",), "ANALYZING"),
        Move("tune", ("ANALYZING",), "TUNING", guards=("should_tune",)),
        Move("finish", ("ANALYZING",), "IDLE", guards=("no_gap_left",)),
        Move("repeat", ("TUNING",), "EMULATING"),
        Move("stop", _WORKING, "IDLE"),
        Move("fail", _WORKING, "FAILED"),
    ),
    guards={
        "should_tune": Guard("should_tune", "the gaps call for tuning (should_tune is True)",
                             lambda record: record.should_tune is True),
        "no_gap_left": Guard("no_gap_left", "no gap calls for tuning (should_tune is False)",
                             lambda record: record.should_tune is False),
    },
    transient=frozenset(_WORKING),
)

CYCLE_TERMINAL = CYCLE.terminal
CYCLE_TRANSIENT = CYCLE.transient


class CycleLifecycle(Lifecycle):
    """A learning-cycle record under its lifecycle."""

    definition = CYCLE
    __slots__ = ()

    start = named_trigger("start", "IDLE → EMULATING: the Emulator runs a batch of N dialogues.")
    complete = named_trigger("complete", "EMULATING → EVALUATING: the batch is complete; the Teacher judges it.")
    analyze = named_trigger("analyze", "EVALUATING → ANALYZING: metrics are in; gaps are computed.")
    tune = named_trigger("tune", "ANALYZING → TUNING: has gaps (should_tune is True).")
    finish = named_trigger("finish", "ANALYZING → IDLE: no gaps (should_tune is False).")
    repeat = named_trigger("repeat", "TUNING → EMULATING: the change is in; the next batch runs.")
    stop = named_trigger("stop", "EMULATING | EVALUATING | ANALYZING | TUNING → IDLE: paused or stopped.")
    fail = named_trigger("fail", "→ FAILED: an adapter raised during this pass.")
