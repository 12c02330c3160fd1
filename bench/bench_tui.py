"""How the TUI copes with a big store: start-up time and the longest event-loop stall.

    python bench/bench_tui.py                       # builds the store once in /tmp/maas-bench-tui
    python bench/bench_tui.py --data DIR --size 120x40 --experiments 10000 --log 100000
    python bench/bench_tui.py --quick               # 2,000 experiments, 20,000 log entries
    python bench/bench_tui.py --repeat 5            # browse 5 times (default 3): the stall of each run

The store holds 10,000 experiments (with their campaigns, cycles, tasks and metric
snapshots) and 100,000 change-log entries. The app runs headless, as a user would
drive it: it opens, every screen is visited, the change log and the experiments are
paged to their ends and filtered, an experiment is opened, while another thread
commits to the store the way a running engine does (it opens the store before the app starts,
as an engine already running would). Each screen update is turned into the escape codes a
real terminal gets, which Textual's headless driver would skip. A timer on the app's event
loop measures how late it fires: the longest lateness is the longest stall a user
would feel, reported for the whole run and for each phase. The longest stall varies from
run to run by some tens of ms (what the collector and the other threads happen to be doing),
so the browsing is repeated (``--repeat``) and the median and the worst run are reported.
Nothing here is asserted; the numbers are printed with this command.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from manager.workspace import rules_dir, store_dir, write_config  # noqa: E402
from rules import install_defaults  # noqa: E402
from store import Store  # noqa: E402
from store.models import (  # noqa: E402
    Campaign,
    ChangeLogEntry,
    Cycle,
    Experiment,
    MetricSnapshot,
    Task,
)

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
KINDS = ("cycle", "experiment", "golden", "change", "approval", "rollback", "campaign", "rules")
STATES = ("rejected", "applied", "rolled_back", "failed", "rejected", "applied")
BATCH = 2_000
TICK_S = 0.005
FULL = (10_000, 100_000)  # experiments, log entries
QUICK = (2_000, 20_000)
READS = ("page-fetch", "lazy-table", "rendered-text")  # the app's workers that fill a screen


def build(workspace: Path, experiments: int, log: int, campaigns: int = 50) -> None:
    """A workspace with a store of the given size (records are realistic in shape, not in values)."""
    workspace.mkdir(parents=True, exist_ok=True)
    write_config(workspace)
    install_defaults(rules_dir(workspace))
    store = Store.open(store_dir(workspace))
    started = time.perf_counter()
    with store.transaction():
        ids = [store.insert(Campaign(name=f"Campaign {i}", goal_text=f"raise recall by {i % 10} pp",
                                     state="active" if i % 10 == 0 else "completed", cycles_done=i)).id
               for i in range(campaigns)]
    for start in range(0, experiments, BATCH):
        with store.transaction():
            for n in range(start, min(start + BATCH, experiments)):
                cid = ids[n % campaigns]
                cycle = store.insert(Cycle(campaign_id=cid, number=n // campaigns + 1, state="IDLE",
                                           gaps=[{"metric": "retrieval_recall", "target": 0.7, "current": 0.6,
                                                  "gap": 0.1, "threshold": 0.1, "exceeds_threshold": n % 2 == 0,
                                                  "priority": "primary"}], should_tune=True))
                state = "awaiting_approval" if n % 997 == 0 else STATES[n % len(STATES)]
                store.insert(Experiment(campaign_id=cid, cycle_id=cycle.id, title=f"top_k: {n % 9} → {n % 9 + 1}",
                                        factor="top_k", step=1, state=state, hypothesis="recall is short",
                                        verdict={"outcome": "winner", "deltas": [], "reason": ""},
                                        golden_validation={"apply": True, "reason": "passed"},
                                        history=[{"from": "planned", "to": state, "trigger": "t",
                                                  "at": (T0 + timedelta(minutes=n)).isoformat()}]))
                store.insert(Task(kind="emulation", title=f"Emulation batch {cycle.id}", campaign_id=cid,
                                  state="completed", done=30, total=30))
                store.insert(MetricSnapshot(campaign_id=cid, cycle_id=cycle.id, source="train", variant="baseline",
                                            metrics={"retrieval_recall": 0.5 + (n % 40) / 100,
                                                     "hallucination_rate": 0.1 - (n % 40) / 1000}))
    for start in range(0, log, BATCH):
        with store.transaction():
            for n in range(start, min(start + BATCH, log)):
                kind = KINDS[n % len(KINDS)]
                store.append_log(ChangeLogEntry(
                    at=T0 + timedelta(seconds=30 * n), kind=kind, summary=f"{kind} {n}: something happened",
                    reason="because the rules said so", initiator="manual" if n % 50 == 0 else "auto",
                    campaign_id=ids[n % campaigns], experiment_id=f"exp-{(n % experiments) + 1:06d}",
                    fired=[{"rule": "mean-primary-gap", "because": "mean gap 0.08 > 0.05"}] if n % 3 == 0 else []))
    print(f"built {workspace}: {experiments:,} experiments, {log:,} log entries in "
          f"{time.perf_counter() - started:.0f} s", file=sys.stderr)


def ensure(workspace: Path, experiments: int, log: int) -> None:
    marker = workspace / f".bench-{experiments}-{log}"
    if marker.exists():
        return
    if workspace.exists() and any(workspace.iterdir()):
        raise SystemExit(f"{workspace} exists but was not built by this benchmark; pass another --data")
    build(workspace, experiments, log)
    marker.touch()


class StallMeter:
    """Schedules a tick every TICK_S on the event loop and records how late each one ran."""

    def __init__(self) -> None:
        self.lateness: list[float] = []
        self.worst_at = ""
        self.phase = "start"
        self.by_phase: dict[str, float] = {}  # phase -> its longest lateness
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + TICK_S
            await asyncio.sleep(TICK_S)
            late = loop.time() - due
            if not self.lateness or late > max(self.lateness):
                self.worst_at = self.phase
            self.lateness.append(late)
            self.by_phase[self.phase] = max(late, self.by_phase.get(self.phase, 0.0))

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        if self._task:
            self._task.cancel()


def engine_like_writer(workspace: Path, ready: threading.Event, stop: threading.Event) -> None:
    """Commit now and then, as a running engine does (each commit moves the generation)."""
    store = Store.open(store_dir(workspace))
    store.append_log(ChangeLogEntry(kind="cycle", summary="bench start"))
    ready.set()  # an engine already running: its start-up is not the app's
    n = 0
    while not stop.wait(0.2):
        store.append_log(ChangeLogEntry(kind="cycle", summary=f"bench tick {n}"))
        n += 1


def write_output(app) -> None:
    """Build each screen update's terminal output, as a real terminal's driver has the app do.

    Textual's headless driver skips it; a real one turns every update into escape codes
    on the event loop (about 1 ms per 1,000 cells changed on this machine).
    """
    from textual._compositor import CompositorUpdate

    display = app._display

    def _display(screen, renderable) -> None:
        if isinstance(renderable, CompositorUpdate):
            renderable.render_segments(app.console)
        display(screen, renderable)

    app._display = _display


async def drive(workspace: Path, size: tuple[int, int]) -> dict[str, float | str]:
    from tui.app import make_app
    from tui.screens.campaigns import CampaignsScreen
    from tui.widgets.lazy_table import LazyTable

    meter = StallMeter()
    ready, stop = threading.Event(), threading.Event()
    writer = threading.Thread(target=engine_like_writer, args=(workspace, ready, stop), daemon=True)
    result: dict[str, float | str] = {}

    async def until(condition, timeout: float = 120.0) -> None:
        deadline = time.perf_counter() + timeout
        while not condition():
            if time.perf_counter() > deadline:
                raise TimeoutError(f"timed out in phase {meter.phase}")
            await pilot.pause(0.02)

    def reads_done() -> bool:
        return not any(w.group in READS and w.state.name in ("PENDING", "RUNNING") for w in app.workers)

    writer.start()
    if not ready.wait(120):
        raise TimeoutError("the engine-like writer did not open the store")
    began = time.perf_counter()
    app = make_app(workspace, start_engine=False, approver="bench", cursor_blink=False)
    write_output(app)
    async with app.run_test(size=size) as pilot:
        meter.start()
        await until(lambda: isinstance(app.screen, CampaignsScreen) and app.screen.data is not None)
        result["start-up to a filled main screen (s)"] = time.perf_counter() - began
        for mode in ("approvals", "experiments", "history", "rules", "prompt", "campaigns"):
            meter.phase = f"switch to {mode}"
            await pilot.press({"campaigns": "1", "approvals": "2", "experiments": "3", "history": "4",
                               "rules": "5", "prompt": "6"}[mode])
            await until(reads_done)
        for mode, key in (("history", "4"), ("experiments", "3")):
            meter.phase = f"switch to {mode}"
            await pilot.press(key)
            await until(reads_done)
            table = app.screen.query_one(LazyTable)
            meter.phase = f"page {mode} (5 pages)"
            for _ in range(5):
                await pilot.press("end")
                await until(reads_done)
            result[f"{mode} rows loaded after 5 pages"] = table.row_count
        meter.phase = "history filtered to a rare kind and initiator"
        await pilot.press("4")
        app.screen.set_filter(kind="rules", initiator="manual")
        await until(reads_done)
        meter.phase = "experiments filtered by state"
        await pilot.press("3")
        app.screen.set_filter(state="awaiting_approval")
        await until(reads_done)
        meter.phase = "open an experiment"
        await pilot.press("enter")
        await until(reads_done)
        meter.phase = "idle with commits arriving (3 s)"
        await pilot.pause(3.0)
        meter.stop()
    stop.set()
    writer.join(5)
    lateness = sorted(meter.lateness)
    result["longest event-loop stall (ms)"] = lateness[-1] * 1000
    result["stall phase"] = meter.worst_at
    result["p99 lateness (ms)"] = lateness[int(len(lateness) * 0.99)] * 1000
    result["median lateness (ms)"] = statistics.median(lateness) * 1000
    for phase, late in meter.by_phase.items():
        result[f"  longest stall: {phase} (ms)"] = late * 1000
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("/tmp/maas-bench-tui"),
                        help="workspace to build once and reuse")
    parser.add_argument("--experiments", type=int, default=None, help=f"default {FULL[0]:,}")
    parser.add_argument("--log", type=int, default=None, help=f"default {FULL[1]:,}")
    parser.add_argument("--quick", action="store_true",
                        help=f"a smaller store by default: {QUICK[0]:,} experiments, {QUICK[1]:,} log entries")
    parser.add_argument("--size", default="120x40", help="terminal size, WIDTHxHEIGHT")
    parser.add_argument("--repeat", type=int, default=3,
                        help="browse this many times, each in a fresh app (the longest stall varies by run)")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    args.experiments = sizes[0] if args.experiments is None else args.experiments
    args.log = sizes[1] if args.log is None else args.log
    workspace = args.data / f"ws-{args.experiments}-{args.log}"
    ensure(workspace, args.experiments, args.log)
    width, height = (int(x) for x in args.size.split("x"))
    runs = [asyncio.run(drive(workspace, (width, height))) for _ in range(args.repeat)]
    print("$ " + shlex.join([sys.executable, *sys.argv]))
    for i, result in enumerate(runs, 1):
        if args.repeat > 1:
            print(f"-- run {i} of {args.repeat}")
        for name, value in result.items():
            print(f"{name:48} {value:,.1f}" if isinstance(value, float) else f"{name:48} {value}")
    if args.repeat > 1:
        stalls = sorted(float(r["longest event-loop stall (ms)"]) for r in runs)
        starts = [float(r["start-up to a filled main screen (s)"]) for r in runs]
        print(f"-- over {args.repeat} runs")
        print(f"{'start-up, median of runs (s)':48} {statistics.median(starts):,.2f}")
        print(f"{'longest stall, median of runs (ms)':48} {statistics.median(stalls):,.1f}")
        print(f"{'longest stall, worst run (ms)':48} {stalls[-1]:,.1f}")
        print(f"{'longest stall of each run (ms)':48} {', '.join(f'{s:.0f}' for s in stalls)}")


if __name__ == "__main__":
    main()
