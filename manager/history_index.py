"""What the learning cycle looks up in its own history, without reading all of it each time.

``store.find`` by a field value reads every partition of a table, so a lookup the cycle
makes on every pass grew with history (bench/bench_cycle.py: with 10,000 experiments
stored, most of a cycle's time). This index reads metric snapshots and change-log
entries once, in the order they were added, and afterwards only what was added since,
by anyone. It relies on what the store and the Manager guarantee: numbered ids only
grow, the change log is append-only, metric snapshots are never rewritten, and every
apply writes its "change" entry in the same commit. Experiments do change, so they are
read afresh. It sees committed records only: call it outside a transaction.
"""

from __future__ import annotations

import threading
from typing import Any

from store import NotFound
from store.models import ChangeLogEntry, Experiment, MetricSnapshot


def _newest_first(ids: set[str]) -> list[str]:
    return sorted(ids, key=lambda i: (len(i), i), reverse=True)  # numbered ids: longer is newer


class HistoryIndex:
    """Golden snapshots by version, watched experiments, and the experiments that applied a version."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started = False
        self._snapshots = 0  # metric snapshots read so far, in id order
        self._entries = 0  # change-log entries read so far, in seq order
        self._golden: dict[str, str] = {}  # version -> id of its newest golden snapshot
        self._watched: set[str] = set()  # experiments with a live snapshot
        self._applied: dict[str, set[str]] = {}  # version -> experiments whose apply made it active

    def _snapshot(self, snap: MetricSnapshot) -> None:
        if snap.source == "golden" and snap.version is not None:
            self._golden[snap.version] = snap.id  # read in id order: the newest stays
        elif snap.source == "live" and snap.experiment_id:
            self._watched.add(snap.experiment_id)

    def _entry(self, entry: ChangeLogEntry) -> None:
        version = entry.data.get("version")
        if entry.kind == "change" and entry.experiment_id and isinstance(version, str):
            self._applied.setdefault(version, set()).add(entry.experiment_id)

    def _catch_up(self, store: Any) -> None:
        if not self._started:
            # Counted first: what is added meanwhile is read twice, which changes nothing.
            self._snapshots, self._entries = store.count(MetricSnapshot), store.log_count()
            for source in ("golden", "live"):
                for snap in store.find(MetricSnapshot, source=source):
                    self._snapshot(snap)
            for entry in store.log(kind="change"):
                self._entry(entry)
            self._started = True
        for snap in store.page(MetricSnapshot, self._snapshots, None):
            self._snapshot(snap)
            self._snapshots += 1
        for entry in store.log(offset=self._entries):
            self._entry(entry)
            self._entries += 1

    def golden(self, store: Any, version: str) -> MetricSnapshot | None:
        """The newest golden-set snapshot of ``version``, if it was ever measured."""
        with self._lock:
            self._catch_up(store)
            found = self._golden.get(version)
        return store.get(MetricSnapshot, found) if found else None

    def applied(self, store: Any, version: str) -> list[Experiment]:
        """Experiments in state applied whose applied version is ``version``, newest first."""
        with self._lock:
            self._catch_up(store)
            ids = _newest_first(self._applied.get(version, set()))
        out = []
        for exp_id in ids:
            try:
                exp = store.get(Experiment, exp_id)
            except NotFound:  # an entry naming no experiment: nothing was applied by it
                continue
            if exp.state == "applied" and exp.applied_version == version:
                out.append(exp)
        return out

    def watched(self, store: Any, experiment_id: str) -> bool:
        """Whether a live snapshot was taken for ``experiment_id`` (the degradation watch ran)."""
        with self._lock:
            self._catch_up(store)
            return experiment_id in self._watched
