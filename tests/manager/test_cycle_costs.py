"""What the engine's start, its ToDo and a task's progress cost in store reads and commits.

Counted, not timed (bench/bench_cycle.py times them): the partition files read while the
engine recovers and while the ToDo is built do not grow with the history behind them, and
a running task commits its start, one progress write and its finish, however often the
emulator reports progress.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
from conftest import scripted_engine, scripted_workspace

from manager.context import EngineEvent
from manager.learning import TaskRun
from manager.todo import todo
from store import Store
from store.manifest import read_manifest
from store.models import Campaign, Cycle, Experiment, MetricSnapshot, Task
from store.partition import PartitionCache
from manager.workspace import store_dir

FINAL = ("applied", "rejected", "rolled_back", "rejected")


@contextmanager
def partition_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    seen: list[str] = []
    load = PartitionCache.load

    def counted(self: PartitionCache, kind: str, key: str, meta: Any) -> Any:
        seen.append(f"{kind}/{key}")
        return load(self, kind, key, meta)

    with monkeypatch.context() as patch:
        patch.setattr(PartitionCache, "load", counted)
        yield seen


def write_history(store: Store, experiments: int, stuck_at: int | None = None) -> None:
    """Finished experiments with their cycle, tasks and snapshots, ten per campaign; the one
    at ``stuck_at`` is left mid-cycle, as a crash leaves it."""
    for start in range(0, experiments, 200):
        with store.transaction():
            for i in range(start, min(start + 200, experiments)):
                campaign_id = f"cmp-h{i // 10:05d}"
                if i % 10 == 0:
                    store.insert(Campaign(id=campaign_id, name=f"history {i // 10}", goal_text="old goal",
                                          state="completed"))
                stuck = i == stuck_at
                cycle = store.insert(Cycle(campaign_id=campaign_id, number=i % 10 + 1,
                                           state="EMULATING" if stuck else "IDLE"))
                exp = store.insert(Experiment(campaign_id=campaign_id, cycle_id=cycle.id, factor="x",
                                              state="running" if stuck else FINAL[i % len(FINAL)]))
                for kind in ("emulation", "evaluation", "validation"):
                    store.insert(Task(kind=kind, title=f"{kind} {i}", campaign_id=campaign_id, ref=exp.id,
                                      state="running" if stuck and kind == "emulation" else "completed"))
                store.insert(MetricSnapshot(campaign_id=campaign_id, experiment_id=exp.id, source="golden",
                                            version=f"h{i}", metrics={"retrieval_recall": 0.5}))


@pytest.fixture(scope="module")
def history_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = scripted_workspace(tmp_path_factory.mktemp("history"))
    write_history(Store.open(store_dir(ws)), 1280, stuck_at=777)
    return ws


@pytest.fixture
def history_ws(history_template: Path, tmp_path: Path) -> Path:
    """A copy of the workspace with history, for one test to change."""
    return Path(shutil.copytree(history_template, tmp_path / "ws"))


def test_engine_start_reads_what_a_crash_left_not_the_history(history_ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = scripted_engine(history_ws)  # a fresh store handle: nothing cached
    tables = read_manifest(store_dir(history_ws)).parts
    assert sum(len(rows) for rows in tables.values()) > 130
    with partition_reads(monkeypatch) as seen:
        engine.recover()
    store = engine.store
    assert [t.title for t in store.find(Task, state="failed")] == ["emulation 777"]
    assert [e.id for e in store.find(Experiment, state="failed")] == ["exp-000778"]
    assert store.get(Cycle, "cyc-000778").state == "IDLE"
    # The newest partition of each table (Store.check_files), the stuck task, experiment and
    # cycle and their campaign; beyond those, a log segment appended to and a filter's rare
    # wrong "maybe". Before filters: every partition of four tables (over 100 files).
    newest = {f"{kind}/{max(k for k in rows if k.isdigit())}" for kind, rows in tables.items()
              if any(k.isdigit() for k in rows)}
    stuck = {"tasks/00036", "experiments/00012", "cycles/00012", "campaigns/x00"}
    assert stuck <= set(seen) and len(set(seen) - newest - stuck) <= 3, sorted(set(seen) - newest - stuck)


def test_the_todo_reads_open_work_and_the_newest_tasks_only(history_ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.open(store_dir(history_ws))
    with store.transaction():
        running = store.insert(Task(kind="emulation", title="now", campaign_id="cmp-h00001", state="running",
                                    done=12, total=30))
    with partition_reads(monkeypatch) as seen:
        items = todo(Store.open(store_dir(history_ws)))
    assert [i.title for i in items if not i.done] == ["emulation 777", running.title]  # the stuck one too
    assert items[1].progress == (12, 30) and len(items) == 7
    assert len(set(seen)) <= 4, sorted(set(seen))  # the running tasks, the newest tasks; none awaits approval


def test_a_task_commits_start_one_progress_write_and_finish(tmp_path: Path) -> None:
    engine = scripted_engine(scripted_workspace(tmp_path))
    events: list[EngineEvent] = []
    engine.subscribe(events.append)
    store = engine.store
    before = store.generation()
    run = TaskRun(engine.ctx, "emulation", "Emulation batch", None, "cyc-000001", total=30)
    assert store.generation() == before + 1
    assert store.get(Task, run.task.id).state == "running"
    stored = []
    for done in range(1, 31):
        run.progress(done, 30)
        stored.append(store.get(Task, run.task.id).done)
    assert store.generation() == before + 2  # one progress write, half way
    assert sorted(set(stored)) == [0, 17]
    ticks = [e.text for e in events if e.kind == "progress"]
    assert len(ticks) == 11 and ticks[-1] == "Emulation batch: 30/30"  # listeners hear every ~10%
    run.finish()
    assert store.generation() == before + 3
    task = store.get(Task, run.task.id)
    assert (task.state, task.done, task.total) == ("completed", 30, 30)
    run.progress(30, 30)  # a late report from the emulator's thread changes nothing
    assert store.generation() == before + 3 and len([e for e in events if e.kind == "progress"]) == 11


def test_a_failed_task_keeps_the_progress_it_reached(tmp_path: Path) -> None:
    engine = scripted_engine(scripted_workspace(tmp_path))
    run = TaskRun(engine.ctx, "emulation", "Emulation batch", None, None, total=30)
    for done in range(1, 10):
        run.progress(done, 30)
    run.finish(False, "emulator.run_batch: no answer within 1 s")
    task = engine.store.get(Task, run.task.id)
    assert (task.state, task.done, task.error) == ("failed", 9, "emulator.run_batch: no answer within 1 s")
    run.progress(30, 30)
    assert engine.store.get(Task, run.task.id).state == "failed"
