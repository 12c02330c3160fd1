"""A scripted MaaS with two factors, ``x`` and ``y``, whose Tuner makes two applies meet.

Two campaigns, one allowed ``x`` and one ``y``, reach their apply at about the same moment;
``apply`` waits (up to ``meet_s``) for a second apply to arrive before it changes the active
version, so that an engine that does not serialise applies is caught applying both on the
same baseline. Every step of either factor improves every metric, on training and golden.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1] / "manager"))  # scripted_parts, shared with scripted_maas

from scripted_parts import add_variant, autonomy_rules, exact_deltas, factor, plain_batch  # noqa: E402

from manager.ports import Batch, Hypothesis, Judgement, MaaS, ParamVersion, Verdict  # noqa: E402

FACTORS = [factor("x"), factor("y")]
AUTONOMY = autonomy_rules({"x": "auto", "y": "auto"})


def metrics(params: dict[str, float]) -> dict[str, float]:
    s = params["x"] + params["y"]
    return {"hallucination_rate": 0.10 - 0.03 * s, "retrieval_precision": 0.60 + 0.1 * s,
            "retrieval_recall": 0.55 + 0.1 * s, "context_utilization": 0.80 + 0.05 * s,
            "latency_p95_s": 2.0, "error_rate": 0.0}


class World:
    def __init__(self, meet_s: float) -> None:
        self.lock = threading.Lock()
        self.versions = {"v0001": ParamVersion(id="v0001", params={"x": 0.0, "y": 0.0})}
        self.active_id = "v0001"
        self.meet = threading.Barrier(2)
        self.meet_s = meet_s
        self.applies: list[tuple[str, str]] = []  # (active before, applied)


class Emulator:
    def run_batch(self, params, n, seed, progress=None, start=0) -> Batch:
        return plain_batch(f"b{seed}", params, n, seed, progress, start)


class Teacher:
    def judge(self, batch: Batch) -> Judgement:
        return Judgement(metrics=metrics(batch.params), dialogues=batch.dialogues)

    def validate_on_golden(self, params) -> Judgement:
        return Judgement(metrics=metrics(params), dialogues=50, source="golden")

    def propose(self, gaps, params, factors, tried) -> Hypothesis | None:
        factor = factors[0].name
        proposed = round(params[factor] + 0.25, 6)
        if proposed > 1.0 or any(t["factor"] == factor and t["proposed"] == proposed for t in tried):
            return None
        return Hypothesis(factor=factor, current=params[factor], proposed=proposed, step=0.25,
                          reason=f"more {factor} is better", expected={"retrieval_precision": "up"})

    def verdict(self, baseline: Batch, variant: Batch) -> Verdict:
        deltas = exact_deltas(metrics(baseline.params), metrics(variant.params))
        return Verdict(outcome="winner", deltas=deltas, reason="every metric improved")

    def design_experiments(self, targets, factors):
        return []


class Tuner:
    def __init__(self, world: World) -> None:
        self.world = world

    def factors(self):
        return list(FACTORS)

    def active(self) -> ParamVersion:
        with self.world.lock:
            return self.world.versions[self.world.active_id]

    def prepare_variant(self, base, changes, note=""):
        with self.world.lock:
            return add_variant(self.world.versions, base, changes)

    def apply(self, version_id):
        try:
            self.world.meet.wait(self.world.meet_s)  # let a concurrent apply catch up
        except threading.BrokenBarrierError:
            pass
        with self.world.lock:
            self.world.applies.append((self.world.active_id, version_id))
            self.world.active_id = version_id
            return self.world.versions[version_id]

    def rollback(self, to_version_id):
        with self.world.lock:
            self.world.active_id = to_version_id
            return self.world.versions[to_version_id]


def build(workspace: Path, meet_s: float = 1.0) -> tuple[MaaS, World]:
    world = World(meet_s)
    return MaaS(teacher=Teacher(), emulator=Emulator(), tuner=Tuner(world)), world
