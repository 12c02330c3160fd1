"""The allowed-transition tables, written out by hand: the tests hold the definitions to them.

TABLES[machine][(state, trigger)] = (dest, guards). Guards are checked by GUARD_CHECKS
against a plain dict of the record's fields plus "approved" (the hook's answer).
"""

from __future__ import annotations

from typing import Any

from store.models import Campaign, Cycle, Experiment, Task

EXPERIMENT_TABLE = {
    ("planned", "start"): ("running", ("has_factor",)),
    ("planned", "reject"): ("rejected", ()),
    ("planned", "fail"): ("failed", ()),
    ("running", "complete"): ("completed", ()),
    ("running", "fail"): ("failed", ()),
    ("completed", "analyze"): ("analyzed", ()),
    ("completed", "fail"): ("failed", ()),
    ("analyzed", "request_approval"): ("awaiting_approval", ("golden_says_apply",)),
    ("analyzed", "apply"): ("applied", ("golden_says_apply",)),
    ("analyzed", "reject"): ("rejected", ()),
    ("analyzed", "fail"): ("failed", ()),
    ("awaiting_approval", "apply"): ("applied", ("golden_says_apply", "approved")),
    ("awaiting_approval", "reject"): ("rejected", ()),
    ("awaiting_approval", "fail"): ("failed", ()),
    ("applied", "rollback"): ("rolled_back", ()),
}

CYCLE_TABLE = {
    ("IDLE", "start"): ("EMULATING", ()),
    ("EMULATING", "complete"): ("EVALUATING", ()),
    ("EVALUATING", "analyze"): ("ANALYZING", ()),
    ("ANALYZING", "tune"): ("TUNING", ("should_tune",)),
    ("ANALYZING", "finish"): ("IDLE", ("no_gap_left",)),
    ("TUNING", "repeat"): ("EMULATING", ()),
    **{(s, "stop"): ("IDLE", ()) for s in ("EMULATING", "EVALUATING", "ANALYZING", "TUNING")},
    **{(s, "fail"): ("FAILED", ()) for s in ("EMULATING", "EVALUATING", "ANALYZING", "TUNING")},
}

CAMPAIGN_TABLE = {
    ("draft", "activate"): ("active", ()),
    ("active", "pause"): ("paused", ()),
    ("paused", "resume"): ("active", ()),
    ("active", "complete"): ("completed", ()),
    ("draft", "abandon"): ("abandoned", ()),
    ("active", "abandon"): ("abandoned", ()),
    ("paused", "abandon"): ("abandoned", ()),
    ("active", "fail"): ("failed", ()),
    ("paused", "fail"): ("failed", ()),
}

TASK_TABLE = {
    ("pending", "start"): ("running", ()),
    ("running", "complete"): ("completed", ()),
    ("pending", "fail"): ("failed", ()),
    ("running", "fail"): ("failed", ()),
    ("pending", "cancel"): ("cancelled", ()),
    ("running", "cancel"): ("cancelled", ()),
}

TABLES = {"experiment": EXPERIMENT_TABLE, "cycle": CYCLE_TABLE, "campaign": CAMPAIGN_TABLE, "task": TASK_TABLE}

STATES = {
    "experiment": ("planned", "running", "completed", "analyzed", "awaiting_approval", "applied", "rolled_back",
                   "rejected", "failed"),
    "cycle": ("IDLE", "EMULATING", "EVALUATING", "ANALYZING", "TUNING", "FAILED"),
    "campaign": ("draft", "active", "paused", "completed", "abandoned", "failed"),
    "task": ("pending", "running", "completed", "failed", "cancelled"),
}

INITIAL = {"experiment": "planned", "cycle": "IDLE", "campaign": "draft", "task": "pending"}

TERMINAL = {
    "experiment": {"rejected", "failed", "rolled_back"},
    "cycle": {"FAILED"},
    "campaign": {"completed", "abandoned", "failed"},
    "task": {"completed", "failed", "cancelled"},
}

TRANSIENT = {
    "experiment": {"running", "completed", "analyzed"},
    "cycle": {"EMULATING", "EVALUATING", "ANALYZING", "TUNING"},
    "campaign": {"active"},
    "task": {"running"},
}

GUARD_CHECKS = {
    "has_factor": lambda f: bool(f.get("factor")),
    "golden_says_apply": lambda f: isinstance(f.get("golden_validation"), dict)
    and f["golden_validation"].get("apply") is True,
    "approved": lambda f: f.get("approved") is True,
    "should_tune": lambda f: f.get("should_tune") is True,
    "no_gap_left": lambda f: f.get("should_tune") is False,
}


def triggers(machine: str) -> list[str]:
    return sorted({trigger for _state, trigger in TABLES[machine]})


def make_record(machine: str, state: str, **fields: Any):
    """A record of ``machine`` saved in ``state`` (no validation of the state: the store does not know them)."""
    if machine == "experiment":
        return Experiment(id="exp-7", campaign_id="cmp-1", state=state, **fields)
    if machine == "cycle":
        return Cycle(id="cyc-7", campaign_id="cmp-1", number=1, state=state, **fields)
    if machine == "campaign":
        return Campaign(id="cmp-7", name="halluc", goal_text="hallucination < 3%", state=state, **fields)
    return Task(id="tsk-7", kind="emulation", title="batch 1", state=state, **fields)


def passing_fields(machine: str, trigger: str) -> dict[str, Any]:
    """Record fields under which every guard of ``trigger`` agrees."""
    if machine == "experiment":
        return {"factor": "top_k", "golden_validation": {"apply": True, "reason": "golden set validation passed"},
                "proposal_hash": "h1"}
    if machine == "cycle":
        return {"should_tune": trigger != "finish"}
    return {}
