"""What must hold after any crash, kill or fault, once the engine has recovered.

- the store loads and the change log's chain verifies;
- every entry acknowledged before (``kept``: their hashes) is still there, unchanged;
- no experiment, task or cycle is left in a transient state (a cycle in TUNING whose
  experiment awaits a human is waiting, not stuck);
- nothing was applied twice: one ``change`` entry per experiment, and the experiments
  that were applied are exactly those with a ``change`` entry;
- one active ParameterVersion in the store, and the Tuner's active version, the store's
  and the last version named in the change log are the same.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from manager.adapters import load_maas
from manager.workspace import load_config, store_dir
from state_machines import CYCLE_TRANSIENT, EXPERIMENT_TRANSIENT, TASK_TRANSIENT
from store import Store
from store.models import ChangeLogEntry, Cycle, Experiment, ParameterVersion, Task

VERSION_KINDS = ("change", "rollback", "engine")


@dataclass
class Observed:
    log: list[ChangeLogEntry]
    active_version: str
    applied: list[str]  # experiment ids with a change entry, in log order


def log_key(entry: ChangeLogEntry) -> tuple:
    """What a repeated, deterministic run must reproduce exactly (not the clock or hashes)."""
    return (entry.seq, entry.kind, entry.summary, entry.reason, entry.campaign_id, entry.experiment_id,
            entry.initiator, entry.actor)


def tuner_active(ws: Path) -> str:
    """The active version as the workspace's own Tuner reports it (through its port)."""
    config = load_config(ws)
    options = {k: v for k, v in config.maas.options.items() if not k.startswith(("fault", "hang"))}
    return load_maas(config.maas.factory, ws, options).tuner.active().id


def restart(ws: Path) -> None:
    """What a restarted engine does before any new cycle: take the lock, recover, stop."""
    from manager.engine import Engine

    asyncio.run(Engine(ws).run(until_idle=True, max_cycles=0))


def check(ws: Path, *, kept: list[str] = ()) -> Observed:
    """Assert every invariant of the module docstring on the workspace as it is now."""
    store = Store.open(store_dir(ws))
    verdict = store.verify_log()
    assert verdict.ok, f"change log does not verify: {verdict}"
    log = store.log()
    hashes = [e.hash for e in log]
    assert hashes[: len(kept)] == list(kept), "an acknowledged change-log entry was lost or rewritten"

    experiments = store.all(Experiment)
    stuck = [(e.id, e.state) for e in experiments if e.state in EXPERIMENT_TRANSIENT]
    assert not stuck, f"experiments stuck in a transient state: {stuck}"
    tasks = [(t.id, t.state, t.title) for t in store.all(Task) if t.state in TASK_TRANSIENT]
    assert not tasks, f"tasks stuck in a transient state: {tasks}"
    states = {e.id: e.state for e in experiments}
    for cycle in store.all(Cycle):
        if cycle.state in CYCLE_TRANSIENT:
            waiting = cycle.state == "TUNING" and states.get(cycle.experiment_id or "") == "awaiting_approval"
            assert waiting, f"cycle {cycle.id} stuck in {cycle.state} (experiment {cycle.experiment_id})"

    applied = [e.experiment_id for e in log if e.kind == "change"]
    twice = [exp for exp, n in Counter(applied).items() if n > 1]
    assert not twice, f"applied twice: {twice}"
    ever_applied = {e.id for e in experiments if e.state in ("applied", "rolled_back")}
    assert ever_applied == set(applied), f"applied experiments {ever_applied} vs change entries {applied}"

    recorded = store.find(ParameterVersion, active=True)
    assert len(recorded) == 1, f"active parameter versions in the store: {[v.version for v in recorded]}"
    named = [e.data["version"] for e in log if e.kind in VERSION_KINDS and e.data.get("version")]
    tuner = tuner_active(ws)
    assert named, "the change log names no parameter version"
    assert tuner == recorded[0].version == named[-1], (
        f"tuner {tuner}, store {recorded[0].version}, change log {named[-1]}")
    return Observed(log=log, active_version=tuner, applied=applied)
