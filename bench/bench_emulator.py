"""Emulated dialogues per second on this machine, and seconds per learning cycle.

Reproduce:  /work/venv/bin/python bench/bench_emulator.py            (or: python bench/bench_emulator.py --help)

Every batch uses a new seed, so each dialogue is written and played from scratch (no cache).
A cycle is what the Manager does per step: a baseline and a variant batch of 30 on the same
seed, a paired verdict, and a golden-set check of the variant.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from maas.embedded import build  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the embedded emulator.")
    parser.add_argument("--dialogues", type=int, default=600, help="dialogues to emulate in total (default 600)")
    parser.add_argument("--batch", type=int, default=30, help="dialogues per batch (default 30)")
    parser.add_argument("--workers", type=int, default=1, help="threads playing dialogues (default 1)")
    parser.add_argument("--cycles", type=int, default=5, help="learning cycles to time (default 5)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as workspace:
        maas = build(Path(workspace), {"workers": args.workers})
        params = maas.tuner.active().params
        maas.emulator.run_batch(params, 2, seed=10_000)  # warm up imports and caches of text

        done, started = 0, time.perf_counter()
        seed = 0
        while done < args.dialogues:
            n = min(args.batch, args.dialogues - done)
            maas.emulator.run_batch(params, n, seed=seed)
            done, seed = done + n, seed + 1
        elapsed = time.perf_counter() - started

        cycle_times = []
        for cycle in range(args.cycles):
            variant = {**params, "abstain_threshold": round(0.35 + 0.05 * cycle, 2)}
            t0 = time.perf_counter()
            base = maas.emulator.run_batch(params, 30, seed=20_000 + cycle)
            var = maas.emulator.run_batch(variant, 30, seed=20_000 + cycle)
            maas.teacher.verdict(base, var)
            maas.teacher.validate_on_golden(variant)
            cycle_times.append(time.perf_counter() - t0)

    result = {
        "dialogues": done,
        "seconds": round(elapsed, 3),
        "dialogues_per_second": round(done / elapsed, 1),
        "cycle_seconds_median": round(sorted(cycle_times)[len(cycle_times) // 2], 3) if cycle_times else None,
        "workers": args.workers,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cpu",
        "command": " ".join(["python bench/bench_emulator.py", *(argv if argv is not None else sys.argv[1:])]),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
