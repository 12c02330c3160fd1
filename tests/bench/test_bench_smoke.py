"""Smoke tests of bench_rules.py, bench_cycle.py and run_all.py: tiny runs, and the collector's
readers on the scripts' real output formats. Their numbers are not asserted (bench/, not tests)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def run_all():
    yield load("run_all")
    sys.modules.pop("run_all", None)


def test_rules_bench_compares_both_engines_on_the_same_fact_sets(capsys, run_all):
    bench = load("bench_rules")
    assert bench.main(["--sets", "60", "--evaluations", "120", "--json"]) == 0
    out = capsys.readouterr().out
    assert "answers agree: 120 of 120" in out
    assert "reproduce: python bench/bench_rules.py --sets 60 --evaluations 120 --json" in out
    data = json.loads(out.strip().splitlines()[-1])
    assert set(data["memory"]) == {"durable-rules", "reference"}
    rows = run_all.read_rules(out, "cmd")
    assert [r.what.split(" ")[1] for r in rows[:2]] == ["`decide`", "`check_change`"]
    assert all(r.ours.endswith("/s") and r.ratio.startswith("x") for r in rows[:2])


def test_cycle_bench_runs_both_lanes_on_one_path_and_leaves_no_workspace(tmp_path, capsys, run_all):
    bench = load("bench_cycle")
    assert bench.main(["--history", "30", "--cycles", "2", "--tmp", str(tmp_path), "--json"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out.strip().splitlines()[-1])
    empty, full = data["rows"]
    assert data["same_path"] and empty["cycles"] == full["cycles"] == 2
    assert full["counts"]["experiments"] == 30 and full["counts"]["log"] > 30 * 6
    assert 0 < full["share_median"] < 1 and full["overhead_ms_median"] > 0
    assert list(tmp_path.iterdir()) == []
    assert run_all.read_cycle(out, "cmd")[0].ours.endswith(" ms")


STORE_OUT = """
 history  backend              commits  median ms    p95 ms  commits/s  newest-50 read ms
   1,000  maas store               100       6.28     31.99         95                3.7
  10,000  maas store               100       6.82     30.11         89                4.1
   1,000  TinyDB JSONStorage        25     103.70    151.37         10               16.6
  10,000  TinyDB JSONStorage         3     781.46    916.30          1              134.7
   1,000  sqlite3 WAL FULL         100       0.52      5.27        838                2.4
  10,000  sqlite3 WAL FULL         100       0.37      2.66       1305                1.0
"""
TUI_OUT = """$ python bench/bench_tui.py
start-up to a filled main screen (s)             1.1
longest event-loop stall (ms)                    1,597.2
stall phase                                      history filtered
"""
TUI_REPEATED_OUT = """$ python bench/bench_tui.py --repeat 3
-- run 1 of 3
start-up to a filled main screen (s)             1.1
longest event-loop stall (ms)                    95.0
-- run 2 of 3
start-up to a filled main screen (s)             0.9
longest event-loop stall (ms)                    120.4
-- over 3 runs
start-up, median of runs (s)                     0.95
longest stall, median of runs (ms)               98.2
longest stall, worst run (ms)                    120.4
longest stall of each run (ms)                   95, 98, 120
"""
EMULATOR_OUT = '{\n  "dialogues": 150,\n  "dialogues_per_second": 159.3,\n  "cycle_seconds_median": 0.72\n}\n'
TUNING_OUT = "method seed ...\ntotal 60 s\n" + json.dumps([
    {"method": "manager", "reached": True, "dialogues_to_target": 300},
    {"method": "random", "reached": True, "dialogues_to_target": 600},
    {"method": "tpe", "reached": False, "dialogues_to_target": None}], indent=2)


def test_the_collector_reads_each_scripts_output(run_all):
    store = run_all.read_store(STORE_OUT, "cmd")
    assert (store[0].ours, store[0].baseline, store[0].ratio) == ("6.82 ms", "0.37 ms", "x18.43")
    assert store[2].ours == "x1.09"
    tui = run_all.read_tui(TUI_OUT, "cmd")
    assert (tui[0].ours, tui[1].ours, tui[1].ratio) == ("1.10 s", "1597 ms", "x15.97")
    tui = run_all.read_tui(TUI_REPEATED_OUT, "cmd")  # repeated runs: the summary, not one run's lines
    assert [row.ours for row in tui] == ["0.95 s", "98 ms", "120 ms"]
    assert run_all.read_emulator(EMULATOR_OUT, "cmd")[0].ours == "159.3/s"
    vs_random, vs_tpe = run_all.read_tuning(TUNING_OUT, "cmd")
    assert (vs_random.ours, vs_random.baseline, vs_random.ratio) == ("300 (1/1 reached)", "600 (1/1 reached)", "x0.50")
    assert vs_tpe.baseline == "not reached (0/1 reached)" and vs_tpe.ratio == "-"
    with pytest.raises(run_all.Unreadable):
        run_all.read_tui("something else\n", "cmd")


def test_a_missing_or_failing_bench_is_a_missing_row_not_a_failed_run(tmp_path, monkeypatch, capsys, run_all):
    (tmp_path / "bench_fails.py").write_text("import sys\nprint('half')\nsys.exit('broken on purpose')\n")
    (tmp_path / "bench_fine.py").write_text("print('start-up x 1.0')\nprint('longest event-loop stall (ms) 20')\n")
    monkeypatch.setattr(run_all, "BENCH", tmp_path)
    monkeypatch.setattr(run_all, "BENCHES", [
        run_all.Bench("gone", "bench_gone.py", [], [], run_all.read_tui, ["gone: a number"]),
        run_all.Bench("fails", "bench_fails.py", [], [], run_all.read_tui, ["fails: a number"]),
        run_all.Bench("fine", "bench_fine.py", [], [], run_all.read_tui, ["fine"]),
    ])
    out_file = tmp_path / "RESULTS.md"
    assert run_all.main(["--out", str(out_file)]) == 0
    assert run_all.main(["--out", str(out_file), "--strict"]) == 1
    text = out_file.read_text()
    assert "| gone: a number | missing |" in text and "does not exist" in text
    assert "| fails: a number | missing |" in text and "broken on purpose" in text
    assert "| TUI: longest event-loop stall" in text and "| 20 ms |" in text
    assert "python bench/run_all.py --out" in capsys.readouterr().out
