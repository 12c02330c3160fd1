"""What the learning cycle looks up in its own history, without reading all of it.

``golden``, ``applied`` and ``watched`` are finds by field values that the store's
partition filters cover (``store.filters``: version, source, state, applied_version,
experiment_id), so each reads the few partitions that hold a match, however long the
history. An earlier version kept these answers in memory and had to read every metric
snapshot and change-log entry once per engine: the first cycle after a start paid
seconds for it with 10,000 experiments stored (bench/bench_cycle.py). Answers are
read afresh each time, so they see every commit, by any process.
"""

from __future__ import annotations

from typing import Any

from store.models import Experiment, MetricSnapshot


class HistoryIndex:
    """Golden snapshots by version, watched experiments, and the experiments that applied a version."""

    def golden(self, store: Any, version: str) -> MetricSnapshot | None:
        """The newest golden-set snapshot of ``version``, if it was ever measured."""
        newest = store.page(MetricSnapshot, 0, 1, reverse=True, source="golden", version=version)
        return newest[0] if newest else None

    def applied(self, store: Any, version: str) -> list[Experiment]:
        """Experiments in state applied whose applied version is ``version``, newest first."""
        return store.page(Experiment, 0, None, reverse=True, state="applied", applied_version=version)

    def watched(self, store: Any, experiment_id: str) -> bool:
        """Whether a live snapshot was taken for ``experiment_id`` (the degradation watch ran)."""
        return bool(store.page(MetricSnapshot, 0, 1, source="live", experiment_id=experiment_id))
