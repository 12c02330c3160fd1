"""Experiment lifecycle (seed 1.3, 1.7, 4.2-4.5).

planned → running → completed → analyzed → applied, with awaiting_approval between
analyzed and applied when policy asks for a human; an applied experiment is rolled_back
when the degradation watch says so. ``rejected`` (policy, analysis, golden validation
or a reviewer said no) and ``failed`` (an adapter error) are terminal.

An experiment whose policy needs a human goes through awaiting_approval; the direct
analyzed → applied move is the Manager's choice when its policy gate says ``auto``.
"""

from __future__ import annotations

from state_machines.definition import Guard, LifecycleDefinition, Move
from state_machines.lifecycle import Lifecycle, named_trigger
from store.models import Experiment


def _has_factor(record: Experiment) -> bool:
    return bool(record.factor)


def _golden_says_apply(record: Experiment) -> bool:
    return bool(record.golden_validation) and record.golden_validation.get("apply") is True


EXPERIMENT = LifecycleDefinition(
    name="experiment",
    record_type=Experiment,
    states=(
        "planned",
        "running",
        "completed",
        "analyzed",
        "awaiting_approval",
        "applied",
        "rolled_back",
        "rejected",
        "failed",
    ),
    initial="planned",
    moves=(
        Move("start", ("planned",), "running", guards=("has_factor",)),
        Move("complete", ("running",), "completed"),
        Move("analyze", ("completed",), "analyzed"),
        Move("request_approval", ("analyzed",), "awaiting_approval", guards=("golden_says_apply",)),
        Move("apply", ("analyzed",), "applied", guards=("golden_says_apply",)),
        Move("apply", ("awaiting_approval",), "applied", guards=("golden_says_apply", "approved")),
        Move("reject", ("planned", "analyzed", "awaiting_approval"), "rejected"),
        Move("rollback", ("applied",), "rolled_back"),
        Move("fail", ("planned", "running", "completed", "analyzed", "awaiting_approval"), "failed"),
    ),
    guards={
        "has_factor": Guard("has_factor", "the experiment names the impact factor it changes", _has_factor),
        "golden_says_apply": Guard(
            "golden_says_apply", "golden validation says apply (golden_validation['apply'] is True)", _golden_says_apply
        ),
        "approved": Guard("approved", "a reviewer approved the current proposal hash"),
    },
    # work was in flight here: emulation, analysis by the Teacher, golden validation / policy gate
    transient=frozenset({"running", "completed", "analyzed"}),
)

EXPERIMENT_TERMINAL = EXPERIMENT.terminal
EXPERIMENT_TRANSIENT = EXPERIMENT.transient


class ExperimentLifecycle(Lifecycle):
    """An experiment record under its lifecycle; hook ``approved=callable(record) -> bool``."""

    definition = EXPERIMENT
    __slots__ = ()

    start = named_trigger("start", "planned → running: the emulation of baseline and variant begins.")
    complete = named_trigger("complete", "running → completed: the batches are in.")
    analyze = named_trigger("analyze", "completed → analyzed: the Teacher gave its verdict.")
    request_approval = named_trigger("request_approval", "analyzed → awaiting_approval: policy asks for a human.")
    apply = named_trigger("apply", "analyzed | awaiting_approval → applied: the Tuner applied the variant.")
    reject = named_trigger(
        "reject",
        "planned | analyzed | awaiting_approval → rejected: policy, analysis, golden set or reviewer said no.",
    )
    rollback = named_trigger("rollback", "applied → rolled_back: degradation after apply (seed 4.5).")
    fail = named_trigger("fail", "→ failed: an adapter (Emulator, Teacher, Tuner) raised.")
