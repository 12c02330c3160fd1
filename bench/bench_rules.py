"""Decisions per second through durable-rules against the reference interpreter of the tests.

    python bench/bench_rules.py            # 10,000 fact sets per kind; memory over 100,000 evaluations
    python bench/bench_rules.py --quick    # 2,000 fact sets per kind; memory over 10,000 evaluations
    python bench/bench_rules.py --quick --profile 25   # where the time goes, per call

Both engines read the packaged rule files (``rules/defaults``) and get the same fact sets,
generated from a fixed seed (``--seed``) with values on and around every target, threshold,
golden-validation and rollback bound:

- **durable-rules**: ``rules.Evaluator(load_rulebook())``, ``.decide(facts)`` (gaps, should-tune,
  golden validation, degradation) and ``.check_change(facts)`` (the policy gate);
- **reference**: ``tests/rules/rules_reference.py``, the exact-fraction interpreter the
  equivalence tests hold the engine to, imported from its file.

Speed: the fact sets are cut into chunks of 500; each chunk goes through both engines in the
same run, the order alternating per chunk so that load on the machine hits both alike. Only
the calls are timed; afterwards every answer of one engine is compared with the other's (a
disagreement is printed and the script exits with 1).

Memory: each engine in a fresh process of its own evaluates the fact sets round and round
(decide and check_change alternately) for ``--evaluations`` calls; the resident set size is
read after the first tenth (warmed up) and at the end, and the growth between them is printed
with the peak that ``tracemalloc`` saw for Python objects over the last thousand calls.
durable-rules keeps its state in C, which ``tracemalloc`` does not see, hence RSS.
Nothing here is asserted by the tests; nothing is written to the repository.

Where the time goes: ``--profile N`` runs the fact sets through durable-rules only, under
cProfile, and prints the N costliest entries (cumulative) of each call, durable-rules' own
C calls included (``durable_rules_engine.*``), instead of the comparison.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import resource
import shlex
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rules import Evaluator, RuleBook, load_rulebook  # noqa: E402

REFERENCE = ROOT / "tests" / "rules" / "rules_reference.py"
CHUNK = 500
ENGINES = ("durable-rules", "reference")


def load_reference() -> Any:
    spec = importlib.util.spec_from_file_location("rules_reference", REFERENCE)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import the reference interpreter from {REFERENCE}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- fact sets -------------------------------------------------------------------------------


def around(r: random.Random, points: list[float]) -> float:
    """A value on, just beside, or well away from one of ``points``."""
    pick = r.random()
    if pick < 0.6:
        return round(r.choice(points) + r.choice([0.0, 0.0, -0.001, 0.001, -0.01, 0.01, 0.05]), 6)
    if pick < 0.9:
        return r.randint(0, 1000) / 1000
    return round(r.uniform(0, 10), 6)


def decide_facts(r: random.Random, book: RuleBook) -> dict[str, Any]:
    metrics = {}
    for name in book.metrics:
        marks = [t.target + k * t.threshold for t in book.targets if t.metric == name for k in (-1, 0, 1)]
        metrics[name] = around(r, marks or [0.5])
    facts: dict[str, Any] = {"metrics": metrics}
    if r.random() < 0.5:
        facts["golden_delta"] = {d: r.randint(-80, 80) / 1000 for d in book.golden_deltas}
    if r.random() < 0.5:
        chosen = r.sample(list(book.metrics), r.randint(1, len(book.metrics)))
        facts["baseline"] = {m: round(metrics[m] * r.choice([1, 0.89, 0.9, 0.91, 1.1, 1.2]), 6) for m in chosen}
    return facts


def change_facts(r: random.Random, book: RuleBook) -> dict[str, Any]:
    params = list(book.autonomy.parameters)
    name = r.choice([*params, "temperature"])  # one the rule files do not know
    policy = book.autonomy.parameters.get(name)
    low, high = (policy.minimum, policy.maximum) if policy else (0.0, 10.0)
    current = round(r.uniform(low, high), 3)
    step = policy.max_step if policy else 1.0
    proposed = round(current + r.choice([-2, -1, -0.5, 0.5, 1, 2]) * step, 3)
    return {
        "parameter": name, "current": current, "proposed": proposed,
        "campaign_autonomy": r.choice(["auto", "auto", "approval", "manual"]),
        "frozen": r.random() < 0.1,
        "running_experiments_on_parameter": r.choice([0, 0, 0, 1]),
        "running_experiments": r.randint(0, 3),
        "factors_changed_this_cycle": r.choice([0, 0, 1]),
        "experiment_cycles": r.randint(0, 12),
    }


def fact_sets(seed: int, n: int, book: RuleBook) -> tuple[list[dict], list[dict]]:
    r = random.Random(seed)
    return [decide_facts(r, book) for _ in range(n)], [change_facts(r, book) for _ in range(n)]


# --- the two engines ----------------------------------------------------------------------------


def callers(engine: str, book: RuleBook) -> tuple[Callable[[dict], Any], Callable[[dict], Any]]:
    if engine == "durable-rules":
        evaluator = Evaluator(book)
        return evaluator.decide, evaluator.check_change
    ref = load_reference()
    return (lambda facts: ref.decide(book, facts)), (lambda facts: ref.check_change(book, facts))


def same_decision(ref: Any, got: Any, want: dict[str, Any]) -> bool:
    return (
        [(g.metric, g.segment or "", ref.read(g.gap), g.exceeds_threshold) for g in got.gaps] == want["gaps"]
        and got.should_tune == want["should_tune"]
        and (got.validation and got.validation.model_dump()) == want["validation"]
        and (got.degradation and got.degradation.model_dump()) == want["degradation"]
    )


def same_policy(got: Any, want: dict[str, Any]) -> bool:
    return (got.allowed, got.needs_approval, {f.rule for f in got.fired}) == \
        (want["allowed"], want["needs_approval"], want["fired"])


def time_chunks(book: RuleBook, decides: list[dict], changes: list[dict]) -> dict[str, Any]:
    """Both engines over the same chunks, alternating which goes first; answers kept for comparison."""
    calls = {engine: callers(engine, book) for engine in ENGINES}
    seconds = {(engine, kind): 0.0 for engine in ENGINES for kind in ("decide", "check_change")}
    answers: dict[tuple[str, str], list[Any]] = {key: [] for key in seconds}
    for kind, sets, index in (("decide", decides, 0), ("check_change", changes, 1)):
        for n, start in enumerate(range(0, len(sets), CHUNK)):
            chunk = sets[start:start + CHUNK]
            for engine in (ENGINES if n % 2 == 0 else ENGINES[::-1]):
                fn = calls[engine][index]
                t0 = time.perf_counter()
                out = [fn(facts) for facts in chunk]
                seconds[(engine, kind)] += time.perf_counter() - t0
                answers[(engine, kind)] += out
    ref = load_reference()
    wrong = []
    for i, (got, want) in enumerate(zip(answers[("durable-rules", "decide")], answers[("reference", "decide")])):
        if not same_decision(ref, got, want):
            wrong.append(("decide", decides[i]))
    for i, (got, want) in enumerate(zip(answers[("durable-rules", "check_change")],
                                        answers[("reference", "check_change")])):
        if not same_policy(got, want):
            wrong.append(("check_change", changes[i]))
    return {"seconds": seconds, "wrong": wrong}


# --- memory (in a child process per engine) ----------------------------------------------------------


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: the peak is the best there is
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory_child(engine: str, evaluations: int, seed: int, n: int) -> dict[str, Any]:
    book = load_rulebook()
    decides, changes = fact_sets(seed, n, book)
    decide, check = callers(engine, book)
    warm = evaluations // 10
    rss_warm = 0
    traced_from = evaluations - min(1000, evaluations // 2)
    peak = 0
    started = time.perf_counter()
    for i in range(evaluations):
        if i == warm:
            rss_warm = rss_bytes()
        if i == traced_from:
            tracemalloc.start()
        j = i // 2 % n
        decide(decides[j]) if i % 2 == 0 else check(changes[j])
    if tracemalloc.is_tracing():
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return {"engine": engine, "evaluations": evaluations, "rss_warm_mb": rss_warm / 2**20,
            "rss_end_mb": rss_bytes() / 2**20, "tracemalloc_peak_kb": peak / 1024,
            "seconds": time.perf_counter() - started}


def run_memory(engines: tuple[str, ...], evaluations: int, seed: int, n: int) -> dict[str, dict[str, Any]]:
    """One fresh process per engine, so neither sees the other's heap; run side by side."""
    procs = {
        engine: subprocess.Popen(
            [sys.executable, __file__, "--memory-child", engine, "--evaluations", str(evaluations),
             "--seed", str(seed), "--sets", str(n)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for engine in engines
    }
    out = {}
    for engine, proc in procs.items():
        stdout, stderr = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"memory run of {engine} failed ({proc.returncode}):\n{stderr}")
        out[engine] = json.loads(stdout.strip().splitlines()[-1])
    return out


# --- profile -------------------------------------------------------------------------------------------------


def profile(book: RuleBook, decides: list[dict], changes: list[dict], top: int) -> str:
    """cProfile of the durable-rules path, one table per call (after one warm-up pass)."""
    import cProfile
    import io
    import pstats

    decide, check = callers("durable-rules", book)
    out = io.StringIO()
    for kind, fn, sets in (("decide", decide, decides), ("check_change", check, changes)):
        for facts in sets[:100]:
            fn(facts)
        prof = cProfile.Profile()
        prof.enable()
        for facts in sets:
            fn(facts)
        prof.disable()
        stats = pstats.Stats(prof, stream=out).sort_stats("cumulative")
        core = {name: tt for (_, _, name), (_, _, tt, _, _) in stats.stats.items() if "durable_rules_engine" in name}
        out.write(f"=== {kind}: {len(sets):,} fact sets through durable-rules; in its C core "
                  f"{sum(core.values()):.3f} s of {stats.total_tt:.3f} s ("
                  + ", ".join(f"{name.split('.')[-1].rstrip('>')} {tt:.3f}" for name, tt in
                              sorted(core.items(), key=lambda item: -item[1])) + ")\n")
        stats.print_stats(f"{ROOT}|durable_rules_engine|json|pydantic", top)
    return out.getvalue()


# --- report ------------------------------------------------------------------------------------------------


def render(n: int, timing: dict[str, Any], memory: dict[str, dict[str, Any]], command: str) -> str:
    sec = timing["seconds"]
    lines = [f"{'call':<14} {'engine':<14} {'fact sets':>9} {'per second':>11} {'ms each':>8}",
             "-" * 60]
    rates = {}
    for kind in ("decide", "check_change"):
        for engine in ENGINES:
            rate = n / sec[(engine, kind)]
            rates[(engine, kind)] = rate
            lines.append(f"{kind:<14} {engine:<14} {n:>9,} {rate:>11,.0f} {1000 / rate:>8.3f}")
    total = {e: 2 * n / (sec[(e, 'decide')] + sec[(e, 'check_change')]) for e in ENGINES}
    for engine in ENGINES:
        lines.append(f"{'both':<14} {engine:<14} {2 * n:>9,} {total[engine]:>11,.0f} {1000 / total[engine]:>8.3f}")
    lines.append("")
    lines.append("durable-rules / reference, decisions per second: "
                 f"decide x{rates[('durable-rules', 'decide')] / rates[('reference', 'decide')]:.2f}, "
                 f"check_change x{rates[('durable-rules', 'check_change')] / rates[('reference', 'check_change')]:.2f}, "
                 f"both x{total['durable-rules'] / total['reference']:.2f}")
    wrong = timing["wrong"]
    lines.append(f"answers agree: {2 * n - len(wrong):,} of {2 * n:,}"
                 + (f"; first disagreement ({wrong[0][0]}): {json.dumps(wrong[0][1])}" if wrong else ""))
    if memory:
        lines += ["", f"{'memory':<14} {'evaluations':>11} {'RSS warm MB':>11} {'RSS end MB':>10} "
                      f"{'growth MB':>9} {'tracemalloc peak KB':>19}", "-" * 80]
        for engine, m in memory.items():
            lines.append(f"{engine:<14} {m['evaluations']:>11,} {m['rss_warm_mb']:>11.1f} {m['rss_end_mb']:>10.1f} "
                         f"{m['rss_end_mb'] - m['rss_warm_mb']:>+9.1f} {m['tracemalloc_peak_kb']:>19.0f}")
        lines.append("(RSS growth from a tenth of the way in to the end; tracemalloc over the last 1,000 calls)")
    lines += ["", f"reproduce: {command}",
              f"machine: {platform.machine()}, {os.cpu_count()} cpu, Python {platform.python_version()}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 fact sets per kind, memory over 10,000 calls")
    parser.add_argument("--sets", type=int, default=None, help="fact sets per kind (default 10,000; 2,000 quick)")
    parser.add_argument("--evaluations", type=int, default=None,
                        help="calls in the memory run (default 100,000; 10,000 quick; 0 skips it)")
    parser.add_argument("--seed", type=int, default=2025, help="seed of the fact sets (default 2025)")
    parser.add_argument("--json", action="store_true", help="print the numbers as one JSON line after the table")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="profile the durable-rules path instead: print the N costliest entries of each call")
    parser.add_argument("--memory-child", choices=ENGINES, help=argparse.SUPPRESS)
    args = parser.parse_args(raw)
    n = args.sets or (2_000 if args.quick else 10_000)
    evaluations = args.evaluations if args.evaluations is not None else (10_000 if args.quick else 100_000)
    if n < 1 or evaluations < 0:
        parser.error("--sets must be at least 1 and --evaluations not negative")
    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child, evaluations, args.seed, min(n, 2_000))))
        return 0

    book = load_rulebook()
    decides, changes = fact_sets(args.seed, n, book)
    if args.profile:
        print(profile(book, decides, changes, args.profile))
        return 0
    timing = time_chunks(book, decides, changes)
    print(f"  timed {2 * n:,} fact sets per engine", file=sys.stderr, flush=True)
    memory = run_memory(ENGINES, evaluations, args.seed, min(n, 2_000)) if evaluations else {}
    command = " ".join(["python bench/bench_rules.py", *map(shlex.quote, raw)])
    print(render(n, timing, memory, command))
    if args.json:
        sec = timing["seconds"]
        print(json.dumps({
            "sets": n,
            "per_second": {f"{e}/{k}": n / sec[(e, k)] for (e, k) in sec},
            "both_per_second": {e: 2 * n / (sec[(e, "decide")] + sec[(e, "check_change")]) for e in ENGINES},
            "disagreements": len(timing["wrong"]),
            "memory": memory,
            "command": command,
        }))
    return 1 if timing["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
