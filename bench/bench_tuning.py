"""Emulated dialogues to reach the targets: the Manager against random search and Optuna's TPE.

    python bench/bench_tuning.py            # seeds 7-11, all three methods (about 2 minutes on 2 cores)
    python bench/bench_tuning.py --quick    # seeds 7-8 (under a minute)
    python bench/bench_tuning.py --help

Per seed (the workspace config's ``engine.seed``), in a temporary folder, each method starts
from the shipped defaults of the embedded MaaS and tries to reach every target of the default
rule files (``rules/defaults/targets.yaml``) on the golden set:

- **manager**: a fresh demo workspace run headless by ``Engine`` until it is idle, within the
  methodology's cycle limit. When it stops on an approval (the demo asks a reviewer about
  ``abstain_threshold``) a reviewer approves through ``manager.commands.submit`` and it runs on.
  Emulated dialogues are the ``total`` of the store's emulation tasks, also reported by phase:
  the cycle's own batch (gaps, and the A/B baseline), the A/B variant, and the degradation
  canary after an apply; golden evaluations are its validation tasks, counted apart because
  golden dialogues are not emulation.
- **random**: uniform samples over the Tuner's four factors and ranges (integers for integer
  factors); **tpe**: ``optuna.samplers.TPESampler(seed=...)`` over the same space. For both,
  trial 0 is the shipped defaults (where the Manager starts), and a trial is one emulated
  batch (the methodology's batch size, 30) judged by the Teacher, on fresh dialogues per trial
  (trial i uses the same emulation seed in both searches).

Objective of the searches, from the train metrics of a trial, lower is better (0 when every
target is met with at least one threshold of margin)::

    sum over targets of   max(0, gap / threshold)                       misses, as the rules scale them
                        + 0.01 * (1 - min(1, max(0, -gap / threshold)))   margin still lacking (tie-break)

with ``gap`` and ``threshold`` as the rules define them (target - current where higher is better,
current - target where lower is better). The second term is at most 0.06 in all, so it only
orders configurations that miss by about the same; it lets a search prefer a configuration that
clears the targets by a margin over one that scrapes past them on 30 dialogues.

Fairness: a search knows whether it has reached the targets the way the Manager does, by a
golden-set check of the one configuration it would pick, its best so far: the golden set is
evaluated only when the best so far changes, and the search stops the first time its pick meets
every target on golden. Its dialogues to target are the emulated dialogues spent until then.
For the Manager the pick is its active version: dialogues to target are those emulated before
the first moment its active version was known (golden-measured) to meet every target.
"Meets" is strict, as ``manager.summary`` reads it: current < target (lower is better) or
current > target. Search budget: the Manager's worst case, max_cycles_per_campaign x 3 batches
(baseline, canary, variant) x batch_size = 15 x 3 x 30 = 1,350 dialogues (45 trials).

Seeds run in parallel processes (``--jobs``, default 2); wall times are per method and seed,
measured inside its process. Workspaces go to the system's temporary folder (``--tmp`` to
choose another): nothing is written to the repository. Nothing is asserted on these numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from manager.learning import batch_seed  # noqa: E402
from manager.ports import FactorSpec  # noqa: E402
from rules import RuleSource  # noqa: E402
from store.models import TargetSpec  # noqa: E402

METHODS = ("manager", "random", "tpe")
FULL_SEEDS = (7, 8, 9, 10, 11)  # 7 is the demo workspace's own seed
QUICK_SEEDS = (7, 8)
BATCHES_PER_CYCLE = 3  # the Manager's worst case: baseline, degradation canary, variant
MARGIN_WEIGHT = 0.01


@dataclass
class Result:
    method: str
    seed: int
    reached: bool
    dialogues_to_target: int | None  # emulated dialogues spent until the pick met every target on golden
    golden_to_target: int | None  # golden-set evaluations until then
    emulated_total: int  # emulated dialogues spent in all
    golden_total: int  # golden-set evaluations in all
    golden_size: int  # dialogues per golden-set evaluation
    steps: int  # the Manager's cycles, or a search's trials
    wall_s: float
    picked: dict[str, float] | None = None
    notes: list[str] = field(default_factory=list)
    # The Manager's emulated dialogues by phase, until the target was reached and in all
    phases_to_target: dict[str, int] = field(default_factory=dict)
    phases_total: dict[str, int] = field(default_factory=dict)


# --- targets and objective ------------------------------------------------------------


def default_targets() -> tuple[list[TargetSpec], int, int]:
    """The default rule files' targets, batch size and cycle limit (what the demo runs on)."""
    rulebook = RuleSource(None).rulebook
    if rulebook is None:
        raise SystemExit("the default rule files do not load")
    methodology = rulebook.methodology
    return list(rulebook.targets), methodology.batch_size, methodology.max_cycles_per_campaign


def _current(metrics: dict[str, float], segments: dict[str, dict[str, float]], t: TargetSpec) -> float:
    source = segments.get(t.segment, {}) if t.segment else metrics
    if t.metric not in source:
        raise KeyError(f"target {t.metric}{f'[{t.segment}]' if t.segment else ''}: the Teacher reported no such metric")
    return source[t.metric]


def gap_of(t: TargetSpec, current: float) -> float:
    return current - t.target if t.direction == "lower_is_better" else t.target - current


def meets_all(targets: list[TargetSpec], metrics: dict[str, float],
              segments: dict[str, dict[str, float]] | None = None) -> bool:
    """Every target met, strictly (as ``manager.summary`` reads the golden set)."""
    return all(gap_of(t, _current(metrics, segments or {}, t)) < 0 for t in targets)


def objective(targets: list[TargetSpec], metrics: dict[str, float],
              segments: dict[str, dict[str, float]] | None = None) -> float:
    """Misses in thresholds, plus a small term for margin still lacking (see the module docstring)."""
    total = 0.0
    for t in targets:
        scaled = gap_of(t, _current(metrics, segments or {}, t)) / max(t.threshold, 1e-12)
        total += max(0.0, scaled) + MARGIN_WEIGHT * (1.0 - min(1.0, max(0.0, -scaled)))
    return total


# --- the Manager -------------------------------------------------------------------------


def run_manager(seed: int, folder: Path, targets: list[TargetSpec], max_cycles: int) -> Result:
    from manager.commands import submit
    from manager.demo import ensure_workspace
    from manager.engine import Engine
    from manager.summary import run_summary
    from manager.workspace import write_config
    from store.models import Campaign, Experiment

    ws = folder / "manager"
    ensure_workspace(ws)
    write_config(ws, seed=seed)
    notes: list[str] = []
    started = time.perf_counter()
    approvals = 0
    while True:
        engine = Engine(ws)
        done = sum(c.cycles_done for c in engine.store.all(Campaign))
        if done >= max_cycles:
            engine.ctx.ports.close()
            break
        asyncio.run(engine.run(until_idle=True, max_cycles=max_cycles - done))
        waiting = engine.store.find(Experiment, state="awaiting_approval")
        if not waiting:
            break
        for exp in waiting:  # a reviewer who approves what the golden set confirmed
            cmd = submit(ws, "approve", {"experiment_id": exp.id, "proposal_hash": exp.proposal_hash or ""})
            if cmd.state != "done":
                raise RuntimeError(f"approval of {exp.id} was {cmd.state}: {cmd.result}")
            approvals += 1
    wall = time.perf_counter() - started
    if approvals:
        notes.append(f"{approvals} approval(s) given")

    result = manager_spending(engine, targets)
    summary = run_summary(engine.ctx)
    for campaign in summary["campaigns"]:
        notes.append(f"{campaign['state']}: {campaign['outcome']}")
        if campaign["all_targets_met"] != result["reached_now"]:
            notes.append("note: run_summary and this bench read the golden set differently")
    return Result(
        method="manager", seed=seed, reached=result["reached"], dialogues_to_target=result["dialogues_to_target"],
        golden_to_target=result["golden_to_target"], emulated_total=result["emulated_total"],
        golden_total=result["golden_total"], golden_size=result["golden_size"],
        steps=sum(c["cycles"] for c in summary["campaigns"]), wall_s=round(wall, 2),
        picked=summary["active_params"], notes=notes, phases_to_target=result["phases_to_target"],
        phases_total=result["phases_total"])


# What each emulation task of the Manager was for, by the start of its title (manager/learning.py,
# manager/experiments.py, manager/degradation.py).
PHASES = (("Emulation batch", "cycle batch"), ("Variant batch", "A/B variant"), ("Degradation watch", "canary"))


def phase_of(title: str) -> str:
    return next((name for prefix, name in PHASES if title.startswith(prefix)), "other")


def by_phase(tasks: list[Any]) -> dict[str, int]:
    out = {name: 0 for _, name in PHASES}
    for t in tasks:
        out[phase_of(t.title)] = out.get(phase_of(t.title), 0) + t.total
    return out


def manager_spending(engine: Any, targets: list[TargetSpec]) -> dict[str, Any]:
    """From the store: what the Manager spent, and when its active version first met every target."""
    from store.models import MetricSnapshot, Task

    store = engine.store
    tasks = store.all(Task)
    emulations = [t for t in tasks if t.kind == "emulation"]
    validations = [t for t in tasks if t.kind == "validation"]
    goldens = {}
    for snap in sorted(store.find(MetricSnapshot, source="golden"), key=lambda s: s.created_at):
        goldens.setdefault(snap.version, snap)  # the first measurement of each version

    # Every moment the active version changed: the initial record, applies, rollbacks.
    activations = [(e.at, e.data["version"]) for e in store.log()
                   if e.kind in ("engine", "change", "rollback") and isinstance(e.data.get("version"), str)]
    known_at = None
    for i, (at, version) in enumerate(activations):
        snap = goldens.get(version)
        if snap is None or not meets_all(targets, snap.metrics, snap.segments):
            continue
        moment = max(at, snap.created_at)
        until = activations[i + 1][0] if i + 1 < len(activations) else None
        if until is None or moment < until:
            known_at = moment
            break
    active = activations[-1][1] if activations else None
    last = goldens.get(active)
    return {
        "phases_to_target": {} if known_at is None else by_phase(
            [t for t in emulations if t.created_at <= known_at]),
        "phases_total": by_phase(emulations),
        "reached": known_at is not None,
        "reached_now": bool(last and meets_all(targets, last.metrics, last.segments)),
        "dialogues_to_target": None if known_at is None else sum(t.total for t in emulations if t.created_at <= known_at),
        "golden_to_target": None if known_at is None else sum(1 for t in validations if t.created_at <= known_at),
        "emulated_total": sum(t.total for t in emulations),
        "golden_total": len(validations),
        "golden_size": max((s.dialogues for s in goldens.values()), default=0),
    }


# --- the searches --------------------------------------------------------------------------


def random_sampler(factors: list[FactorSpec], seed: int) -> Callable[[], dict[str, float]]:
    import numpy as np

    rng = np.random.default_rng(seed)

    def sample() -> dict[str, float]:
        out = {}
        for f in factors:
            if f.integer:
                out[f.name] = float(rng.integers(int(f.minimum), int(f.maximum) + 1))
            else:
                out[f.name] = round(float(rng.uniform(f.minimum, f.maximum)), 6)
        return out

    return sample


class TpeSearch:
    """Optuna's TPE through ask/tell, so each trial's batch runs in our own loop."""

    def __init__(self, factors: list[FactorSpec], seed: int, first: dict[str, float]) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.factors = factors
        self.study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
        self.study.enqueue_trial({f.name: int(first[f.name]) if f.integer else first[f.name] for f in factors})
        self.trial: Any = None

    def ask(self) -> dict[str, float]:
        self.trial = self.study.ask()
        out = {}
        for f in self.factors:
            if f.integer:
                out[f.name] = float(self.trial.suggest_int(f.name, int(f.minimum), int(f.maximum)))
            else:
                out[f.name] = round(self.trial.suggest_float(f.name, f.minimum, f.maximum), 6)
        return out

    def tell(self, value: float) -> None:
        self.study.tell(self.trial, value)


def run_search(method: str, seed: int, folder: Path, targets: list[TargetSpec], batch_size: int,
               trials: int) -> Result:
    from maas.embedded import build

    maas = build(folder / method)  # its own Teacher: no golden result cached from another method
    factors = maas.tuner.factors()
    defaults = maas.tuner.active().params
    tpe = TpeSearch(factors, seed, defaults) if method == "tpe" else None
    sample = None if tpe else random_sampler(factors, seed)

    started = time.perf_counter()
    best_value, best = math.inf, None
    spent = goldens = 0
    reached_at = golden_at = None
    golden_size = 0
    for i in range(trials):
        params = tpe.ask() if tpe else (dict(defaults) if i == 0 else sample())
        batch = maas.emulator.run_batch(params, batch_size, batch_seed(seed, "search", i))
        spent += batch.dialogues
        judgement = maas.teacher.judge(batch)
        value = objective(targets, judgement.metrics, judgement.segments)
        if tpe:
            tpe.tell(value)
        if value < best_value:
            best_value, best = value, batch.params
            gold = maas.teacher.validate_on_golden(best)
            goldens += 1
            golden_size = gold.dialogues
            if meets_all(targets, gold.metrics, gold.segments):
                reached_at, golden_at = spent, goldens
                break
    wall = time.perf_counter() - started
    return Result(
        method=method, seed=seed, reached=reached_at is not None, dialogues_to_target=reached_at,
        golden_to_target=golden_at, emulated_total=spent, golden_total=goldens, golden_size=golden_size,
        steps=i + 1, wall_s=round(wall, 2), picked=best,
        notes=[f"best objective {best_value:.3f}"])


# --- the protocol's floor ------------------------------------------------------------------


def protocol_floor(targets: list[TargetSpec], batch_size: int, tmp: str | None,
                   max_moves: int = 6) -> dict[str, Any]:
    """The fewest one-factor moves of at most one step that reach every target on the golden set.

    Breadth first over the grid of the Tuner's factors, one ``step`` up or down per move (the
    largest change a cycle may make: ``FactorSpec.step``, and ``max_step`` in the default
    autonomy rules). With k moves and no rejection the Manager cannot spend fewer than
    k cycle batches + k A/B variants + (k - 1) canaries of ``batch_size`` dialogues.
    """
    from maas.embedded import build

    with tempfile.TemporaryDirectory(prefix="bench-floor-", dir=tmp) as folder:
        maas = build(Path(folder))
        factors = maas.tuner.factors()
        start = maas.tuner.active().params
        key = lambda params: tuple(sorted(params.items()))  # noqa: E731
        seen, frontier, checked = {key(start)}, [start], 0
        for moves in range(max_moves + 1):
            for params in frontier:
                gold = maas.teacher.validate_on_golden(params)
                checked += 1
                if meets_all(targets, gold.metrics, gold.segments):
                    return {"moves": moves, "example": params, "configurations_checked": checked,
                            "floor_dialogues": batch_size * (2 * moves + max(0, moves - 1))}
            following = []
            for params in frontier:
                for f in factors:
                    for sign in (1, -1):
                        value = params[f.name] + sign * f.step
                        if not f.minimum - 1e-9 <= value <= f.maximum + 1e-9:
                            continue
                        moved = {**params, f.name: float(round(value)) if f.integer else round(value, 6)}
                        if key(moved) not in seen:
                            seen.add(key(moved))
                            following.append(moved)
            frontier = following
    return {"moves": None, "example": None, "configurations_checked": checked, "floor_dialogues": None}


# --- one seed, all methods ------------------------------------------------------------------


def run_seed(seed: int, methods: tuple[str, ...], trials: int | None, tmp: str | None) -> list[Result]:
    targets, batch_size, max_cycles = default_targets()
    if trials is None:
        trials = max_cycles * BATCHES_PER_CYCLE
    out = []
    with tempfile.TemporaryDirectory(prefix=f"bench-tuning-{seed}-", dir=tmp) as folder:
        for method in methods:
            if method == "manager":
                out.append(run_manager(seed, Path(folder), targets, max_cycles))
            else:
                out.append(run_search(method, seed, Path(folder), targets, batch_size, trials))
    return out


# --- report ------------------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def _num(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isinf(value)):
        return "not reached"
    if isinstance(value, float) and math.isnan(value):
        return "-"
    return f"{value:g}"


def render(results: list[Result], methods: tuple[str, ...], command: str, skipped: list[str]) -> str:
    head = ("method", "seed", "dialogues to target", "golden evals to target", "reached", "spent in all",
            "steps", "wall s")
    rows = []
    for r in sorted(results, key=lambda r: (methods.index(r.method), r.seed)):
        rows.append((r.method, str(r.seed), _num(r.dialogues_to_target), _num(r.golden_to_target),
                     "yes" if r.reached else "no",
                     f"{r.emulated_total} emu + {r.golden_total}x{r.golden_size} golden", str(r.steps),
                     f"{r.wall_s:.1f}"))
    for method in methods:
        mine = [r for r in results if r.method == method]
        if not mine:
            continue
        # a run that never reached counts as infinitely many dialogues
        to_target = [r.dialogues_to_target if r.reached else math.inf for r in mine]
        golden = [r.golden_to_target if r.reached else math.inf for r in mine]
        rows.append((f"{method} median", f"{len(mine)} seeds", _num(_median(to_target)), _num(_median(golden)),
                     f"{sum(r.reached for r in mine)}/{len(mine)}",
                     f"{_median([r.emulated_total for r in mine]):g} emu + {_median([r.golden_total for r in mine]):g} golden",
                     f"{_median([r.steps for r in mine]):g}", f"{_median([r.wall_s for r in mine]):.1f}"))
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    line = lambda row: "  ".join(cell.ljust(w) if i in (0, 1, 4, 5) else cell.rjust(w)  # noqa: E731
                                 for i, (cell, w) in enumerate(zip(row, widths)))
    sep = "  ".join("-" * w for w in widths)
    body = [line(head), sep, *[line(r) for r in rows[: len(results)]], sep, *[line(r) for r in rows[len(results):]]]
    legend = ["dialogues to target: emulated dialogues spent until the picked configuration (the Manager's active",
              "version, a search's best so far) first met every target on the golden set; a median counts a run",
              "that never reached as infinite. steps: the Manager's cycles, a search's trials.",
              *skipped]
    notes = [f"  {r.method} seed {r.seed}: {'; '.join(r.notes)}" for r in results if r.notes]
    return "\n".join([*body, "", *legend, "", *render_phases(results), "notes:", *notes, "",
                      f"reproduce: {command}"])


def render_phases(results: list[Result]) -> list[str]:
    """Where the Manager's emulated dialogues went, per seed and in the median."""
    mine = sorted((r for r in results if r.method == "manager"), key=lambda r: r.seed)
    if not mine:
        return []
    names = list(dict.fromkeys(n for r in mine for n in [*r.phases_to_target, *r.phases_total]))

    def cells(phases: dict[str, int]) -> str:
        return "  ".join(f"{n} {phases.get(n, 0):>4}" for n in names)

    lines = ["manager: emulated dialogues by phase, until the target was reached | in all"]
    for r in mine:
        to_target = cells(r.phases_to_target) if r.reached else "not reached"
        lines.append(f"  seed {r.seed:<4} {to_target} | {cells(r.phases_total)}")
    reached = [r for r in mine if r.reached]
    if reached:
        med = {n: _median([r.phases_to_target.get(n, 0) for r in reached]) for n in names}
        lines.append(f"  median     {'  '.join(f'{n} {med[n]:>4g}' for n in names)}   (runs that reached)")
    return [*lines, ""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Emulated dialogues to reach the targets: Manager vs random vs TPE.")
    parser.add_argument("--quick", action="store_true", help=f"seeds {', '.join(map(str, QUICK_SEEDS))} only")
    parser.add_argument("--seeds", type=int, nargs="+", help="engine seeds to run (default 7 8 9 10 11)")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS), help="methods to run")
    parser.add_argument("--trials", type=int, default=None,
                        help="search budget in trials of one batch (default: the Manager's worst case, 45)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="seeds run in parallel")
    parser.add_argument("--tmp", default=None, help="folder for the temporary workspaces (default: system temp)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON after the table")
    parser.add_argument("--floor", action="store_true",
                        help="also find the fewest one-step moves to every target on golden, and the Manager's "
                             "dialogue floor that follows (a few minutes more on 2 cores)")
    raw = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(raw)
    if args.trials is not None and args.trials < 1:
        parser.error("--trials: expected at least 1")
    if args.jobs < 1:
        parser.error("--jobs: expected at least 1")
    seeds = tuple(args.seeds) if args.seeds else (QUICK_SEEDS if args.quick else FULL_SEEDS)
    if any(s < 0 for s in seeds):
        parser.error("--seeds: expected non-negative integers")
    methods = tuple(m for m in METHODS if m in args.methods)
    skipped = []
    if "tpe" in methods:
        try:
            import optuna  # noqa: F401
        except ImportError:
            skipped.append("tpe: SKIPPED, optuna is not installed (pip install 'optuna>=4', the project's bench extra)")
            print(skipped[-1], file=sys.stderr)
            methods = tuple(m for m in methods if m != "tpe")

    started = time.perf_counter()
    results: list[Result] = []
    if args.jobs == 1 or len(seeds) == 1:
        for seed in seeds:
            results += run_seed(seed, methods, args.trials, args.tmp)
    else:
        with ProcessPoolExecutor(max_workers=min(args.jobs, len(seeds)),
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            for part in pool.map(run_seed, seeds, [methods] * len(seeds), [args.trials] * len(seeds),
                                 [args.tmp] * len(seeds)):
                results += part
    elapsed = time.perf_counter() - started

    command = " ".join(["python bench/bench_tuning.py", *map(shlex.quote, raw)])
    print(render(results, methods, command, skipped))
    if args.floor:
        targets, batch_size, _ = default_targets()
        floor = protocol_floor(targets, batch_size, args.tmp)
        print(f"floor: {floor['moves']} one-step moves reach every target on golden (e.g. {floor['example']}, "
              f"{floor['configurations_checked']} configurations checked); the Manager needs at least "
              f"{floor['floor_dialogues']} emulated dialogues (cycle batch + A/B variant per move, a canary "
              f"after each apply but the last)")
    print(f"total {elapsed:.0f} s on {platform.machine()}, {os.cpu_count()} cpu, Python {platform.python_version()}, "
          f"{args.jobs} job(s)")
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
