"""SIGKILL at random moments of real learning cycles, restart, check, again.

Each chain runs ``maas-manager run`` on one workspace, kills it at a random moment after
the engine has started (delays from a seeded generator, so a chain is repeatable as far
as the clock allows), checks what the store holds, restarts the engine (recovery) and
checks every invariant of ``hardening_invariants``. Whatever was in the change log before
the kill must still be there afterwards, unchanged. When the campaigns run out, a new
goal keeps the engine learning. Default: 2 chains of 5 kills; ``-m slow``: 2 chains of 50.
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest
from hardening_invariants import check, restart
from hardening_ws import IN_PROCESS, copy_ws, manifest_generation, parallel, start_cli, wait_for

from manager.commands import submit
from manager.workspace import store_dir
from store import Store
from store.models import Campaign, Experiment

GOALS = (
    "increase retrieval precision above 85%",
    "reduce hallucination_rate below 3%",
    "increase recall on preferences by +10%",
    "увеличить recall по preferences на +10%",
)


def kill_chain(template: Path, folder: Path, kills: int, seed: int, window_s: float) -> dict[str, int]:
    ws = copy_ws(template, folder)
    rng = random.Random(seed)
    kept: list[str] = []
    goals = iter(GOALS * kills)
    for _ in range(kills):
        with IN_PROCESS:
            if not Store.open(store_dir(ws)).find(Campaign, state="active"):
                cmd = submit(ws, "goal", {"text": next(goals)})
                assert cmd.state == "done", cmd.result
        before = manifest_generation(ws)
        proc = start_cli(ws, "run", "-q")
        try:
            wait_for(lambda: manifest_generation(ws) > before or proc.poll() is not None, 60, "the engine to start")
            time.sleep(rng.uniform(0.0, window_s))
        finally:
            proc.send_signal(signal.SIGKILL)
            _, err = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL, f"the engine ended by itself ({proc.returncode}): {err}"

        with IN_PROCESS:
            store = Store.open(store_dir(ws))  # loads as the kill left it
            assert store.verify_log().ok
            seen = store.log()
            assert [e.hash for e in seen[: len(kept)]] == kept, "an acknowledged entry was lost"
            restart(ws)
            kept = [e.hash for e in check(ws, kept=[e.hash for e in seen]).log]
    with IN_PROCESS:
        store = Store.open(store_dir(ws))
        return {"kills": kills, "experiments": store.count(Experiment), "entries": store.log_count(),
                "applied": len(store.find(Experiment, state="applied"))}


def chains(template: Path, tmp_path: Path, count: int, kills: int, window_s: float) -> list[dict[str, int]]:
    return parallel(lambda i: kill_chain(template, tmp_path / f"chain{i}", kills, seed=1000 + i, window_s=window_s),
                    range(count))


def test_random_sigkills_during_learning(after_cycle1: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    results = chains(after_cycle1, tmp_path, count=2, kills=5, window_s=0.8)
    assert sum(r["kills"] for r in results) == 10
    assert all(r["experiments"] >= 1 for r in results), results
    print(f"\nSIGKILLs: 10 in {time.monotonic() - started:.0f} s: {results}")


@pytest.mark.slow
def test_a_hundred_random_sigkills_during_learning(after_cycle1: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    results = chains(after_cycle1, tmp_path, count=2, kills=50, window_s=3.0)
    assert sum(r["kills"] for r in results) == 100
    assert any(r["applied"] for r in results), "over 100 kills some change must have been applied"
    print(f"\nSIGKILLs: 100 in {time.monotonic() - started:.0f} s: {results}")
