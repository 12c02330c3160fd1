"""The Teacher: judge, hypotheses, verdicts and experiment designs for the embedded MaaS."""

from __future__ import annotations

import threading
from typing import Any

from manager.ports import Batch, ExperimentDesign, FactorSpec, Hypothesis, Judgement, Verdict
from maas import judge
from maas.conversation import play
from maas.golden import GoldenSet
from maas.hypotheses import design_experiments, propose
from maas.impacts import ImpactMap
from maas.student import Student
from maas.verdict import VerdictRule, paired_verdict


class EmbeddedTeacher:
    def __init__(self, student: Student, golden: GoldenSet, impacts: ImpactMap, rule: VerdictRule,
                 workers: int = 1) -> None:
        self.student = student
        self.golden = golden
        self.impacts = impacts
        self.rule = rule
        self.workers = workers
        self._golden_cache: dict[tuple, Judgement] = {}
        self._lock = threading.Lock()

    def judge(self, batch: Batch) -> Judgement:
        return Judgement(metrics=judge.metrics(batch.events), segments=judge.per_segment(batch.events),
                         dialogues=batch.dialogues, source="train")

    def validate_on_golden(self, params: dict[str, float]) -> Judgement:
        """Metrics of ``params`` on the golden set (validation only; cached, it never changes)."""
        params = self.student.model.check_params(params)
        key = tuple(sorted(params.items()))
        with self._lock:
            if key in self._golden_cache:
                return self._golden_cache[key]
        events, _ = play(self.student, self.golden.dialogues, params, self.golden.seed, workers=self.workers)
        result = Judgement(metrics=judge.metrics(events), segments=judge.per_segment(events),
                           dialogues=len(self.golden.dialogues), source="golden")
        with self._lock:
            self._golden_cache[key] = result
        return result

    def propose(self, gaps: list[dict[str, Any]], params: dict[str, float], factors: list[FactorSpec],
                tried: list[dict[str, Any]]) -> Hypothesis | None:
        return propose(self.impacts, gaps, params, factors, tried)

    def verdict(self, baseline: Batch, variant: Batch) -> Verdict:
        return paired_verdict(baseline, variant, self.rule, judge.LOWER_IS_BETTER)

    def design_experiments(self, targets: list[dict[str, Any]], factors: list[FactorSpec]) -> list[ExperimentDesign]:
        return design_experiments(self.impacts, targets, factors)
