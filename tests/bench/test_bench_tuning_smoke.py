"""Smoke test of bench/bench_tuning.py: it runs, reads the targets as the rules do, and prints
its table and the command that reproduces it. Its numbers are not asserted (bench/, not tests)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_tuning.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_tuning", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_tuning"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("bench_tuning", None)


@pytest.fixture(scope="module")
def targets(bench):
    return bench.default_targets()[0]


def metrics(**changes):
    met = {"hallucination_rate": 0.01, "retrieval_precision": 0.95, "retrieval_recall": 0.9,
           "context_utilization": 0.99, "latency_p95_s": 3.0, "error_rate": 0.0}
    return {**met, **changes}


def test_targets_are_strict_and_read_each_metrics_direction(bench, targets):
    assert bench.meets_all(targets, metrics())
    assert not bench.meets_all(targets, metrics(hallucination_rate=0.05))  # equal to the target misses
    assert not bench.meets_all(targets, metrics(retrieval_precision=0.79))
    assert not bench.meets_all(targets, metrics(latency_p95_s=5.5))


def test_objective_counts_misses_in_thresholds_and_margin_only_as_a_tie_break(bench, targets):
    assert bench.objective(targets, metrics()) == pytest.approx(0.0)
    # hallucination 0.09 misses its 0.05 target by two thresholds of 0.02
    assert bench.objective(targets, metrics(hallucination_rate=0.09)) == pytest.approx(2.0 + 0.01)
    scraping = bench.objective(targets, metrics(retrieval_precision=0.81))
    assert 0 < scraping <= 0.01 < bench.objective(targets, metrics(retrieval_precision=0.79))


def test_a_metric_the_teacher_did_not_report_is_named(bench, targets):
    with pytest.raises(KeyError, match="retrieval_recall"):
        bench.meets_all(targets, {k: v for k, v in metrics().items() if k != "retrieval_recall"})


def test_random_search_runs_and_prints_its_row_and_command(bench, tmp_path, capsys):
    argv = ["--seeds", "3", "--methods", "random", "--trials", "1", "--jobs", "1", "--tmp", str(tmp_path)]
    assert bench.main(argv) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.startswith("random ")]
    assert rows and rows[0][:2] == ["random", "3"]
    assert "reproduce: python bench/bench_tuning.py " + " ".join(argv[:-1]) in out
    assert list(tmp_path.iterdir()) == []  # its workspaces are temporary


def test_the_managers_spending_is_read_from_the_store(bench, targets, tmp_path):
    result = bench.run_manager(7, tmp_path, targets, max_cycles=1)
    assert result.steps == 1
    assert result.emulated_total > 0 and result.emulated_total % 30 == 0
    assert result.golden_size > 0 or result.golden_total == 0
    # one cycle: its own batch and an A/B variant, no canary yet (nothing applied before it)
    assert result.phases_total == {"cycle batch": 30, "A/B variant": 30, "canary": 0}
    assert sum(result.phases_total.values()) == result.emulated_total


def test_emulation_tasks_are_told_apart_by_their_titles(bench):
    assert [bench.phase_of(t) for t in ("Emulation batch c-1", "Variant batch of e-2", "Degradation watch of e-2",
                                         "Golden validation of v3")] == ["cycle batch", "A/B variant", "canary", "other"]
