"""Each factor moves the metrics the impact map says it moves, the way it says.

One test per factor, on a fixed seed: the factor goes from a low to a high value within its
range, everything else fixed, and every effect listed in data/impacts.yaml must show with
its sign. top_k and context_budget only bind when the cut-off lets many memories through,
so their base has score_cutoff 0 (at the shipped cut-off they change little: that is real).
"""

from __future__ import annotations

import pytest

from maas import judge
from maas.datafiles import DATA_DIR, DataFileError
from maas.emulator import EmbeddedEmulator
from maas.impacts import load_impacts
from maas.student import Student
from maas.student_model import load_student_model
from maas.world import emulator_world

MODEL = load_student_model()
IMPACTS = load_impacts()
SEED, N = 8, 60

MOVES = {  # factor: (base overrides, low, high)
    "top_k": ({"score_cutoff": 0.0}, 2, 8),
    "score_cutoff": ({}, 0.0, 0.8),
    "abstain_threshold": ({}, 0.1, 0.6),
    "context_budget": ({"score_cutoff": 0.0}, 200, 1000),
}


def test_every_factor_of_the_student_is_in_the_map_and_tested():
    assert set(IMPACTS.factors) == set(MODEL.factors) == set(MOVES)


@pytest.mark.parametrize("factor", sorted(MOVES))
def test_factor_moves_metrics_as_the_impact_map_says(factor):
    overrides, low, high = MOVES[factor]
    base = {**MODEL.defaults(), **overrides}
    emulator = EmbeddedEmulator(Student(MODEL), emulator_world())
    before = judge.metrics(emulator.run_batch({**base, factor: low}, N, SEED).events)
    after = judge.metrics(emulator.run_batch({**base, factor: high}, N, SEED).events)
    wrong = []
    for metric, effect in IMPACTS.factors[factor].items():
        delta = after[metric] - before[metric]
        if not (delta > 0 if effect.direction == "up" else delta < 0):
            wrong.append(f"{metric}: expected {effect.direction}, moved {delta:+.4f}")
    assert not wrong, f"{factor} {low} -> {high}: " + "; ".join(wrong)


def test_a_broken_impact_map_names_file_line_and_key(tmp_path):
    path = tmp_path / "impacts.yaml"
    text = (DATA_DIR / "impacts.yaml").read_text()
    path.write_text(text.replace("retrieval_recall: {direction: up, strength: 2", "retrieval_recall: {direction: sideways, strength: 2", 1))
    with pytest.raises(DataFileError, match=r"impacts.yaml: line \d+, column \d+: factors.top_k.retrieval_recall.direction"):
        load_impacts(path)
    path.write_text(text.replace("latency_p95_s: lower_is_better", "latency_p95_s: higher_is_better"))
    with pytest.raises(DataFileError, match="latency_p95_s: must be lower_is_better"):
        load_impacts(path)
    path.write_text(text + "\nmetrics: {}\n")
    with pytest.raises(DataFileError, match="duplicate key"):
        load_impacts(path)
