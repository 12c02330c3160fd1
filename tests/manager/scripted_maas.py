"""A scripted MaaS behind the real ports, for cases the embedded one cannot force:
Goodhart (training improves, golden worsens), out-of-policy proposals, drift after
apply. One factor ``x``; metrics are plain arithmetic of ``x``. Tests only.

Options: golden ("better" | "worse"), jump (the step the Teacher proposes),
drift_after_apply (after the first apply, the newest version gets worse on fresh batches),
verdicts (the A/B outcome by the number of variant dialogues judged, for interim looks;
default "winner").
"""

from __future__ import annotations

from pathlib import Path

from scripted_parts import add_variant, autonomy_rules, exact_deltas, factor, plain_batch

from manager.ports import Batch, ExperimentDesign, Hypothesis, Judgement, MaaS, ParamVersion, Verdict

FACTOR = factor("x")
AUTONOMY = autonomy_rules({"x": "{level}"})  # str.format(level=...) gives the level


def train_metrics(x: float) -> dict[str, float]:
    return {"hallucination_rate": 0.10 - 0.06 * x, "retrieval_precision": 0.60 + 0.3 * x,
            "retrieval_recall": 0.55 + 0.3 * x, "context_utilization": 0.80 + 0.15 * x,
            "latency_p95_s": 2.0, "error_rate": 0.0}


def golden_metrics(x: float, better: bool) -> dict[str, float]:
    if better:
        return train_metrics(x)
    return {"hallucination_rate": 0.10 + 0.10 * x, "retrieval_precision": 0.60 - 0.2 * x,
            "retrieval_recall": 0.55 - 0.2 * x, "context_utilization": 0.80 - 0.1 * x,
            "latency_p95_s": 2.0, "error_rate": 0.0}


class World:
    """What the scripted modules share: the versions and the drift switch."""

    def __init__(self, options: dict) -> None:
        self.golden_better = options.get("golden", "worse") == "better"
        self.jump = float(options.get("jump", 0.25))
        self.drift = bool(options.get("drift_after_apply", False))
        self.versions = {"v0001": ParamVersion(id="v0001", params={"x": 0.0})}
        self.active_id = "v0001"
        self.applied: list[str] = []
        self.ab_seeds: set[int] = set()
        self.verdicts = {int(k): v for k, v in options.get("verdicts", {}).items()}
        self.looks: list[tuple[int, int]] = []  # (baseline, variant) dialogues of each verdict asked
        self.judged: list[int] = []  # dialogues of each batch judged


class ScriptedEmulator:
    def __init__(self, world: World) -> None:
        self.world = world

    def run_batch(self, params, n, seed, progress=None, start=0) -> Batch:
        return plain_batch(f"b{seed}-{params['x']}", params, n, seed, progress, start)


class ScriptedTeacher:
    def __init__(self, world: World) -> None:
        self.world = world

    def judge(self, batch: Batch) -> Judgement:
        self.world.judged.append(batch.dialogues)
        x = batch.params["x"]
        metrics = train_metrics(x)
        if self.world.drift and self.world.applied and x == self.world.versions[self.world.applied[0]].params["x"] \
                and batch.seed not in self.world.ab_seeds:
            metrics = {**metrics, "retrieval_precision": 0.30, "retrieval_recall": 0.30}
        return Judgement(metrics=metrics, dialogues=batch.dialogues)

    def validate_on_golden(self, params) -> Judgement:
        return Judgement(metrics=golden_metrics(params["x"], self.world.golden_better), dialogues=50, source="golden")

    def propose(self, gaps, params, factors, tried) -> Hypothesis | None:
        x = params["x"]
        failed = {round(t["proposed"], 6) for t in tried if t["outcome"] in ("rejected", "rolled_back")}
        nxt = round(x + self.world.jump, 6)
        if nxt > 1.0 or nxt in failed:
            return None
        return Hypothesis(factor="x", current=x, proposed=nxt, step=nxt - x,
                          reason="training says more x is better", expected={"retrieval_precision": "up"})

    def verdict(self, baseline: Batch, variant: Batch) -> Verdict:
        self.world.ab_seeds.add(variant.seed)
        self.world.looks.append((baseline.dialogues, variant.dialogues))
        deltas = exact_deltas(train_metrics(baseline.params["x"]), train_metrics(variant.params["x"]))
        outcome = self.world.verdicts.get(variant.dialogues, "winner")
        reason = {"winner": "every training metric improved", "loser": "a training metric got worse",
                  "inconclusive": "not decisive yet"}[outcome]
        return Verdict(outcome=outcome, deltas=deltas, reason=f"{reason} ({variant.dialogues} dialogues)")

    def design_experiments(self, targets, factors) -> list[ExperimentDesign]:
        return [ExperimentDesign(title="Tune x", factor="x")]


class ScriptedTuner:
    def __init__(self, world: World) -> None:
        self.world = world

    def factors(self):
        return [FACTOR]

    def active(self) -> ParamVersion:
        return self.world.versions[self.world.active_id]

    def prepare_variant(self, base, changes, note=""):
        return add_variant(self.world.versions, base, changes)

    def apply(self, version_id):
        if self.world.active_id != version_id:
            self.world.applied.append(version_id)
        self.world.active_id = version_id
        return self.world.versions[version_id]

    def rollback(self, to_version_id):
        self.world.active_id = to_version_id
        return self.world.versions[to_version_id]


def build(workspace: Path, options: dict | None = None) -> MaaS:
    world = World(options or {})
    return MaaS(teacher=ScriptedTeacher(world), emulator=ScriptedEmulator(world), tuner=ScriptedTuner(world))
