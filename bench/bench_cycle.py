"""A learning cycle's own overhead, with an empty store and with 10,000 experiments of history.

    python bench/bench_cycle.py            # 10,000 experiments of history, 24 cycles per store
    python bench/bench_cycle.py --quick    # 2,000 experiments of history, 8 cycles per store

Overhead is what the Manager itself spends in a cycle: store commits and reads, rules,
state machines, the policy gate, guarding the ports, the change log. It is everything but
the work of the MaaS modules (emulation, judging, verdicts, golden evaluation, the Tuner).

Two demo workspaces (``manager.demo.ensure_workspace``, the embedded MaaS, same seed) are
driven side by side in one process; one of them first gets a history of ``--history``
finished experiments with, per experiment, what a real cycle leaves behind (measured on the
demo workspace): one cycle, five tasks, four metric snapshots (a fifth, live, after an
apply), half a parameter version and six change-log entries, in campaigns of ten experiments.
The history is all in final states, and its versions are not the Tuner's, so it cannot change
a decision. Its campaigns have ids of their own (``cmp-h…``), so that a campaign started
during the run gets the same id in both stores: a campaign's id seeds its emulation batches.

Each lane then runs real cycles, ``manager.learning.run_cycle(engine.ctx, campaign_id)``
under the engine lock, alternating which lane goes first. Before each cycle the lane does
one pass of the engine's loop (``process_commands``, ``reload_rules_if_changed``,
``runnable_campaigns``, the pending-command check), timed apart. When the campaign waits for
approval, a reviewer approves it in-process; when it has ended, a new campaign with strict
targets is started (neither is part of a cycle's time).

The MaaS modules are wrapped (in this script, not in the product) so that time inside
their methods is measured, less the time of the Manager's progress callbacks they call:

    overhead = cycle wall time - time inside the MaaS modules' methods

Two parts of the overhead are shown apart: guard, spent in ``GuardedPorts.call`` around the
modules (a thread per call, validation of what comes back), and progress, the Manager's
progress callbacks (task commits) during emulation. Lookups by a field value read only the
partitions whose filters admit the value (``store.filters``), so no cycle should pay a pass
over all history: the p95 shows it if one does (the first cycle of an engine used to). Both
lanes must take the same path, cycle by cycle (same outcomes); the script says whether they
did. Nothing is asserted; the workspaces are temporary. ``--profile`` sees the thread that
runs the cycle, not the emulator's threads where progress callbacks run.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import platform
import pstats
import re
import shlex
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from manager.approvals import approve  # noqa: E402
from manager.campaigns import create_campaign  # noqa: E402
from manager.demo import DEMO_GOAL, ensure_workspace  # noqa: E402
from manager.engine import Engine  # noqa: E402
from manager.learning import run_cycle  # noqa: E402
from manager.workspace import store_dir  # noqa: E402
from store import Store  # noqa: E402
from store.models import (  # noqa: E402
    Campaign,
    ChangeLogEntry,
    Command,
    Cycle,
    Experiment,
    MetricSnapshot,
    ParameterVersion,
    Task,
)

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
PER_CAMPAIGN = 10  # experiments per campaign of history
BULK = 250  # experiments per seeding transaction
METRICS = {"hallucination_rate": 0.18, "retrieval_precision": 0.43, "retrieval_recall": 0.96,
           "context_utilization": 0.56, "latency_p95_s": 3.7, "error_rate": 0.0}
SEGMENTS = ("events", "personal_facts", "preferences")
FACTORS = ("top_k", "score_cutoff", "abstain_threshold", "context_budget")
FINAL = ("applied", "rejected", "rejected", "rolled_back", "failed")


# --- the history ------------------------------------------------------------------------------
# Records shaped like those a real cycle writes (sizes within a few per cent), not copies of them.


def _metrics(i: int, shift: float = 0.0) -> dict[str, float]:
    return {m: round(v + shift + (i % 37) / 1000, 6) for m, v in METRICS.items()}


def _gaps(i: int) -> list[dict[str, Any]]:
    return [{"metric": m, "target": 0.5, "current": v, "gap": round(0.5 - v, 6), "threshold": 0.05,
             "exceeds_threshold": v < 0.45, "priority": "primary"} for m, v in _metrics(i).items()]


def _fired(i: int) -> list[dict[str, Any]]:
    return [{"rule": "gap-exceeds-threshold", "because": f"{m} gap {0.1 + i % 7 / 100:.6f} > threshold 0.05",
             "facts": {"metric": m, "segment": "", "priority": "primary", "direction": "higher_is_better",
                       "target": 0.8, "current": v, "gap": round(0.8 - v, 6), "threshold": 0.05}}
            for m, v in list(_metrics(i).items())[:4]]


def history_experiment(i: int, campaign_id: str, cycle_id: str) -> Experiment:
    factor = FACTORS[i % len(FACTORS)]
    deltas = [{"metric": m, "baseline": v, "variant": round(v + 0.02, 6), "delta": 0.02, "ci_low": 0.01,
               "ci_high": 0.03, "better": True} for m, v in _metrics(i).items()]
    return Experiment(
        campaign_id=campaign_id, cycle_id=cycle_id, title=f"{factor}: 0.3 → 0.35", factor=factor, step=0.05,
        baseline_version=f"h{i:07d}", variant_params={f: 0.3 + i % 5 / 10 for f in FACTORS},
        variant_version=f"h{i + 1:07d}", design=f"Tune {factor}",
        hypothesis=f"hallucination_rate misses its target by 0.168 (critical); raising {factor} should help "
                   "hallucination_rate, retrieval_precision, context_utilization at some cost to recall",
        success_criteria=["hallucination_rate down", "retrieval_precision up", "context_utilization up"],
        state=FINAL[i % len(FINAL)],
        verdict={"outcome": "winner", "deltas": deltas, "reason": "significantly better: retrieval_precision "
                 "(30 paired dialogues, 95% bootstrap intervals)"},
        golden_validation={"apply": True, "reason": "golden set validation passed",
                           "delta": {"precision_delta": 0.05, "recall_delta": -0.01, "hallucination_delta": -0.04,
                                     "context_util_delta": 0.04},
                           "golden_baseline": _metrics(i), "golden_variant": _metrics(i, 0.02),
                           "degradation": {"rollback": False, "metrics": []}, "fired": _fired(i)},
        policy={"allowed": True, "needs_approval": False, "reasons": [], "fired": []},
        fired=_fired(i), proposal_hash=f"{i:016x}", applied_version=f"h{i + 1:07d}" if i % 5 == 0 else None,
        history=[{"from": "planned", "to": "running", "trigger": "start", "at": (T0 + timedelta(minutes=i)).isoformat()},
                 {"from": "running", "to": FINAL[i % len(FINAL)], "trigger": "t",
                  "at": (T0 + timedelta(minutes=i + 1)).isoformat()}])


def seed_history(store: Store, experiments: int) -> dict[str, int]:
    """``experiments`` finished experiments and what their cycles left, in batched transactions."""
    campaign_id = cycle_id = ""
    seq = 0
    for start in range(0, experiments, BULK):
        with store.transaction():
            for i in range(start, min(start + BULK, experiments)):
                if i % PER_CAMPAIGN == 0:
                    campaign_id = store.insert(Campaign(
                        id=f"cmp-h{i // PER_CAMPAIGN:06d}", name=f"History {i // PER_CAMPAIGN}", goal_text=DEMO_GOAL, state="completed",
                        created_by="bench", cycles_done=PER_CAMPAIGN, outcome="cycle limit 10 reached",
                        plan=[{"title": f"Tune {f}", "factor": f, "hypothesis": f"Raising {f} moves recall up",
                               "success_criteria": ["retrieval_precision > 0.8"]} for f in FACTORS])).id
                cycle_id = store.insert(Cycle(
                    campaign_id=campaign_id, number=i % PER_CAMPAIGN + 1, state="IDLE", gaps=_gaps(i),
                    should_tune=True, report="## Cycle\n\n| metric | current | target |\n" * 6)).id
                exp = store.insert(history_experiment(i, campaign_id, cycle_id))
                store.update(store.get(Cycle, cycle_id).model_copy(update={"experiment_id": exp.id}))
                for kind, title, ref in (("emulation", "Emulation batch", cycle_id),
                                         ("evaluation", "Evaluation of batch", cycle_id),
                                         ("emulation", "Variant batch of", exp.id),
                                         ("validation", "Golden validation of", exp.id),
                                         ("emulation", "Degradation watch of", exp.id)):
                    store.insert(Task(kind=kind, title=f"{title} {ref}", campaign_id=campaign_id, ref=ref,
                                      state="completed", done=30 if kind == "emulation" else 0,
                                      total=30 if kind == "emulation" else 0))
                for source, variant, version in (("train", "active", f"h{i:07d}"), ("train", "variant", f"h{i + 1:07d}"),
                                                 ("golden", "active", f"h{i:07d}"), ("golden", "active", f"h{i + 1:07d}")):
                    store.insert(MetricSnapshot(
                        campaign_id=campaign_id, cycle_id=cycle_id, experiment_id=exp.id, source=source,
                        variant=variant, version=version, metrics=_metrics(i),
                        segments={s: _metrics(i, 0.01) for s in SEGMENTS}, dialogues=30 if source == "train" else 60))
                if exp.state == "applied":  # the degradation watch's live batch after the change
                    store.insert(MetricSnapshot(
                        campaign_id=campaign_id, cycle_id=cycle_id, experiment_id=exp.id, source="live",
                        version=f"h{i + 1:07d}", metrics=_metrics(i), segments={s: _metrics(i) for s in SEGMENTS},
                        dialogues=30))
                if i % 2 == 0:
                    store.insert(ParameterVersion(version=f"h{i + 1:07d}", params=exp.variant_params,
                                                  parent=f"h{i:07d}", experiment_id=exp.id, active=False))
                ending = (("change", "applied"), ("cycle", "watched after apply: no degradation")) \
                    if exp.state == "applied" else (("experiment", f"{exp.state}: A/B verdict"), ("campaign", "noted"))
                for kind, summary in (("cycle", "should tune = True"), ("experiment", "planned"),
                                      ("experiment", "verdict: winner"), ("golden", "golden validation: apply"),
                                      *ending):
                    seq += 1
                    store.append_log(ChangeLogEntry(
                        at=T0 + timedelta(seconds=20 * seq), kind=kind, summary=f"{exp.id} {summary}",
                        reason="significantly better: retrieval_precision (30 paired dialogues)",
                        campaign_id=campaign_id, experiment_id=exp.id,
                        fired=_fired(i)[:2] if kind in ("cycle", "golden") else [],
                        data={"version": exp.applied_version, "previous_version": exp.baseline_version}
                        if kind == "change" else {"metrics": _metrics(i)} if kind == "cycle" else {}))
    return {name: store.count(model) for name, model in (
        ("campaigns", Campaign), ("experiments", Experiment), ("cycles", Cycle), ("tasks", Task),
        ("metric snapshots", MetricSnapshot), ("parameter versions", ParameterVersion))} | {"log": store.log_count()}


# --- timing the MaaS modules -----------------------------------------------------------------


class PortClock:
    """Seconds inside the MaaS modules' methods (less the callbacks they make), and inside the guard."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.inside = 0.0
        self.guarded = 0.0
        self.callbacks = 0.0
        self.calls = 0

    def add(self, inside: float = 0.0, guarded: float = 0.0, callbacks: float = 0.0, calls: int = 0) -> None:
        with self._lock:
            self.inside += inside
            self.guarded += guarded
            self.callbacks += callbacks
            self.calls += calls

    def snapshot(self) -> tuple[float, float, float, int]:
        with self._lock:
            return self.inside, self.guarded, self.callbacks, self.calls

    def install(self, engine: Engine) -> None:
        ports = engine.ctx.ports
        ports._modules = {role: TimedModule(module, self) for role, module in ports._modules.items()}
        guarded_call = ports.call

        def call(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return guarded_call(*args, **kwargs)
            finally:
                self.add(guarded=time.perf_counter() - t0, calls=1)

        ports.call = call  # this engine's instance only


class TimedModule:
    """A Teacher, Emulator or Tuner whose methods are timed; callables passed in are timed apart."""

    def __init__(self, module: Any, clock: PortClock) -> None:
        self._module, self._clock = module, clock

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._module, name)
        if not callable(attr):
            return attr
        clock = self._clock

        def timed(*args: Any, **kwargs: Any) -> Any:
            spent_in_callbacks = [0.0]

            def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
                def callback(*a: Any, **kw: Any) -> Any:
                    t = time.perf_counter()
                    try:
                        return fn(*a, **kw)
                    finally:
                        spent_in_callbacks[0] += time.perf_counter() - t
                return callback

            args = tuple(wrap(a) if callable(a) and not isinstance(a, type) else a for a in args)
            t0 = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                clock.add(inside=time.perf_counter() - t0 - spent_in_callbacks[0], callbacks=spent_in_callbacks[0])

        return timed


# --- a lane: one workspace driven cycle by cycle -----------------------------------------------


class Lane:
    def __init__(self, name: str, folder: Path, history: int) -> None:
        self.name = name
        self.workspace = folder / name
        ensure_workspace(self.workspace)
        self.counts: dict[str, int] = {}
        self.seed_s = 0.0
        if history:
            t0 = time.perf_counter()
            store = Store.open(store_dir(self.workspace))
            self.counts = seed_history(store, history)
            store.close()
            self.seed_s = time.perf_counter() - t0
            os.sync()  # the history is old: its writeback must not slow the timed cycles' fsyncs
        self.engine = Engine(self.workspace)
        self.clock = PortClock()
        self.clock.install(self.engine)
        self._lock = contextlib.ExitStack()
        self._lock.enter_context(self.engine.store.raw.engine_lock())
        t0 = time.perf_counter()
        self.engine.recover()
        self.recover_s = time.perf_counter() - t0
        print(f"  {name}: seeded in {self.seed_s:.0f} s, engine recovered in {self.recover_s:.1f} s",
              file=sys.stderr, flush=True)
        self.campaigns_started = self.approvals = 0
        self.cycles: list[dict[str, Any]] = []
        self.profile: cProfile.Profile | None = None

    def loop_pass(self) -> list[Campaign]:
        engine = self.engine
        engine.process_commands()
        engine.reload_rules_if_changed()
        runnable = engine.runnable_campaigns()
        engine.store.find(Command, state="pending")
        return runnable

    def unblock(self) -> None:
        """What a person would do: approve what waits, or give the Manager a new goal."""
        ctx = self.engine.ctx
        waiting = ctx.store.find(Experiment, state="awaiting_approval")
        if waiting:
            for exp in waiting:
                approve(ctx, exp.id, exp.proposal_hash or "", "bench-reviewer")
                self.approvals += 1
            return
        strict = [t.model_copy(update={"target": 0.99 if t.direction == "higher_is_better" else 0.0})
                  for t in ctx.rules.rulebook.targets]
        self.campaigns_started += 1
        create_campaign(ctx, name=f"Strict goal {self.campaigns_started}", goal_text="every metric near perfect",
                        targets=strict, created_by="bench", initiator="auto")

    def step(self) -> None:
        t0 = time.perf_counter()
        runnable = self.loop_pass()
        loop_s = time.perf_counter() - t0
        if not runnable:
            self.unblock()
            runnable = self.loop_pass()
            if not runnable:
                raise RuntimeError(f"{self.name}: no campaign to run after approving or starting one")
        inside0, guarded0, callbacks0, calls0 = self.clock.snapshot()
        if self.profile and self.cycles:  # from the second cycle: the first pays one-time costs
            self.profile.enable()
        generation = self.engine.store.generation()
        t0 = time.perf_counter()
        outcome = run_cycle(self.engine.ctx, runnable[0].id)
        wall = time.perf_counter() - t0
        commits = self.engine.store.generation() - generation  # nobody else writes to this store
        if self.profile and self.cycles:
            self.profile.disable()
        inside1, guarded1, callbacks1, calls1 = self.clock.snapshot()
        inside, callbacks = inside1 - inside0, callbacks1 - callbacks0
        self.cycles.append({"wall": wall, "maas": inside, "overhead": wall - inside, "progress": callbacks,
                            "guard": (guarded1 - guarded0) - inside - callbacks, "loop": loop_s,
                            "calls": calls1 - calls0, "commits": commits,
                            "outcome": outcome})

    def close(self) -> None:
        self._lock.close()
        self.engine.ctx.ports.close()


# --- report ----------------------------------------------------------------------------------


def path(cycle: dict[str, Any]) -> str:
    """What a cycle did, less the ids of experiments (the history lane's are numbered after its history)."""
    return re.sub(r"\bexp-\d+", "exp-…", cycle["outcome"])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered)) - 1))]


def summary(lane: Lane) -> dict[str, Any]:
    cycles = lane.cycles
    ms = lambda key: [c[key] * 1000 for c in cycles]  # noqa: E731
    over, wall = ms("overhead"), ms("wall")
    return {
        "lane": lane.name, "cycles": len(cycles),
        "overhead_ms_median": statistics.median(over), "overhead_ms_p95": pct(over, 0.95),
        "guard_ms_median": statistics.median(ms("guard")),
        "progress_ms_median": statistics.median(ms("progress")),
        "loop_ms_median": statistics.median(ms("loop")), "loop_ms_p95": pct(ms("loop"), 0.95),
        "cycle_ms_median": statistics.median(wall),
        "commits_median": statistics.median(c["commits"] for c in cycles),
        "share_median": statistics.median(c["overhead"] / c["wall"] for c in cycles),
        "share_total": sum(over) / sum(wall),
        "recover_s": lane.recover_s, "seed_s": lane.seed_s, "counts": lane.counts,
        "approvals": lane.approvals, "campaigns_started": lane.campaigns_started,
    }


def render(rows: list[dict[str, Any]], same_path: bool, paths: list[str], command: str) -> str:
    head = (f"{'store':<22} {'cycles':>6} {'overhead ms':>11} {'p95 ms':>8} {'of which guard':>14} "
            f"{'progress':>8} {'commits':>7} {'cycle ms':>9} {'share':>6} {'loop pass ms':>12} {'p95':>6} {'engine start s':>14}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['lane']:<22} {r['cycles']:>6} {r['overhead_ms_median']:>11.1f} {r['overhead_ms_p95']:>8.1f} "
                     f"{r['guard_ms_median']:>14.1f} {r['progress_ms_median']:>8.1f} {r['commits_median']:>7.0f} "
                     f"{r['cycle_ms_median']:>9.0f} {r['share_median']:>6.1%} "
                     f"{r['loop_ms_median']:>12.1f} {r['loop_ms_p95']:>6.1f} {r['recover_s']:>14.2f}")
    empty, full = rows
    lines += [
        "",
        "overhead, loop pass and cycle are medians per cycle; share = overhead / cycle wall time (median of cycles);",
        "guard = GuardedPorts.call around the modules (a thread, validation of the result); progress = the",
        "Manager's progress callbacks (task commits) during emulation; both are part of the overhead;",
        "commits = store commits per cycle (each costs fsyncs); engine start = Engine.recover() on that store.",
        f"median overhead with history / empty: x{full['overhead_ms_median'] / empty['overhead_ms_median']:.2f}; "
        f"loop pass x{full['loop_ms_median'] / max(empty['loop_ms_median'], 1e-9):.2f}",
        f"history: {', '.join(f'{v:,} {k}' for k, v in full['counts'].items())} (seeded in {full['seed_s']:.0f} s)",
        f"both stores took the same path, cycle by cycle: {'yes' if same_path else 'NO'}"
        f" ({', '.join(f'{paths.count(p)} {p}' for p in dict.fromkeys(paths))};"
        f" approvals {full['approvals']}, strict goals started {full['campaigns_started']})",
        "",
        f"reproduce: {command}",
        f"machine: {platform.machine()}, {os.cpu_count()} cpu, Python {platform.python_version()}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 experiments of history, 8 cycles per store")
    parser.add_argument("--history", type=int, default=None, help="experiments of history (default 10,000)")
    parser.add_argument("--cycles", type=int, default=None, help="cycles timed per store (default 24)")
    parser.add_argument("--tmp", default=None, help="folder for the temporary workspaces (default: system temp)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="print the N functions of this project with the most cumulative time in the history lane's "
                             "cycles, from its second cycle on")
    parser.add_argument("--json", action="store_true", help="print the numbers as one JSON line after the table")
    args = parser.parse_args(raw)
    history = args.history if args.history is not None else (2_000 if args.quick else 10_000)
    cycles = args.cycles if args.cycles is not None else (8 if args.quick else 24)
    if history < 1 or cycles < 1:
        parser.error("--history and --cycles must be at least 1")

    folder = Path(tempfile.mkdtemp(prefix="bench-cycle-", dir=args.tmp))
    try:
        started = time.perf_counter()
        empty = Lane("empty store", folder, 0)
        full = Lane(f"{history:,} experiments", folder, history)
        print(f"  workspaces ready ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
        if args.profile:
            full.profile = cProfile.Profile()
        lanes = (empty, full)
        for i in range(cycles):
            for lane in (lanes if i % 2 == 0 else lanes[::-1]):
                lane.step()
        for lane in lanes:
            lane.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    same_path = [path(c) for c in empty.cycles] == [path(c) for c in full.cycles]
    paths = [c["outcome"].split()[0] for c in empty.cycles]  # applied, rejected, no (gaps), awaiting, ...
    rows = [summary(empty), summary(full)]
    command = " ".join(["python bench/bench_cycle.py", *map(shlex.quote, raw)])
    print(render(rows, same_path, paths, command))
    if full.profile:
        out = io.StringIO()
        pstats.Stats(full.profile, stream=out).sort_stats("cumulative").print_stats(str(ROOT), args.profile)
        print("\nhistory lane, cumulative time per function of this project:\n" + out.getvalue())
    if args.json:
        print(json.dumps({"rows": rows, "same_path": same_path, "command": command}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
