"""Commit latency of the store with a small and a large history, against stock TinyDB and sqlite3.

One commit is what the Manager does when an experiment changes state: update the
experiment record and append a change-log entry, durably. Each backend gets the
same history (change-log entries plus one experiment per ten entries) and the
same commits, in the same run, the small and the large history interleaved:

- maas store: ``Store`` (partitioned TinyDB files, one atomic commit, fsync'd);
- TinyDB JSONStorage: stock TinyDB, one JSON file, one write per table operation;
- sqlite3: one transaction per commit, WAL journal, ``synchronous=FULL``.

It also times a paged read, the newest 50 change-log entries, from a reader that
opened the store just before (what a TUI or ``history list`` does).

    python bench/bench_store.py            # history 1,000 and 100,000 (about 1-2 minutes)
    python bench/bench_store.py --quick    # history 1,000 and 10,000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tinydb import TinyDB  # noqa: E402
from tinydb.storages import JSONStorage  # noqa: E402

from store import Store  # noqa: E402
from store.models import ChangeLogEntry, Experiment  # noqa: E402

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
BULK = 2_000  # history entries per preload transaction


def log_entry(i: int) -> ChangeLogEntry:
    return ChangeLogEntry(
        at=T0 + timedelta(seconds=i),
        kind="experiment.applied" if i % 4 == 0 else "experiment.planned",
        summary=f"top_k 5 -> 6 for campaign {i % 17}: precision +2.1 pp on golden set",
        reason="golden validation: precision +0.021, hallucination -0.004",
        initiator="auto" if i % 9 else "manual",
        campaign_id=f"cmp-{i % 17 + 1:06d}",
        experiment_id=f"exp-{i // 10 + 1:06d}",
        fired=[{"rule": "apply-on-precision-gain", "because": "precision_delta 0.021 >= 0.02"}],
        data={"factor": "top_k", "from": 5, "to": 6, "metrics": {"retrieval_precision": 0.81}},
    )


def experiment(i: int) -> Experiment:
    return Experiment(
        campaign_id=f"cmp-{i % 17 + 1:06d}",
        title=f"top_k +1 ({i})",
        factor="top_k",
        step=1.0,
        variant_params={"top_k": 6, "score_cutoff": 0.35},
        hypothesis="more candidates raise recall without hurting precision",
        success_criteria=["recall +2 pp", "precision not -5 pp"],
    )


# ---- backends ----------------------------------------------------------------
# Each sets up a history, then offers commit(k) and a cold read of the newest 50 entries.


class MaasStore:
    name = "maas store"

    def __init__(self, root: Path, history: int) -> None:
        self.path, self.history = root / "maas", history
        self.store = Store.open(self.path)
        for start in range(0, history, BULK):
            with self.store.transaction():
                for i in range(start, min(start + BULK, history)):
                    if i % 10 == 0:
                        self.store.insert(experiment(i))
                    self.store.append_log(log_entry(i))
        self.experiments = self.store.count(Experiment)

    def commit(self, k: int) -> None:
        with self.store.transaction():
            exp = self.store.get(Experiment, f"exp-{k % self.experiments + 1:06d}")
            exp.state = "applied" if exp.state != "applied" else "analyzed"
            self.store.update(exp)
            self.store.append_log(log_entry(self.history + k))

    def newest_50(self) -> int:
        reader = Store.open(self.path)
        return len(reader.log(limit=50, reverse=True))

    def close(self) -> None:
        assert self.store.verify_log().ok
        self.store.close()


class StockTinyDB:
    name = "TinyDB JSONStorage"

    def __init__(self, root: Path, history: int) -> None:
        self.path, self.history = root / "tinydb.json", history
        db = TinyDB(self.path, storage=JSONStorage)
        exps = [experiment(i).model_dump(mode="json") for i in range(0, history, 10)]
        db.table("experiments").insert_multiple(exps)
        db.table("change_log").insert_multiple(log_entry(i).model_dump(mode="json") for i in range(history))
        db.close()
        self.db = TinyDB(self.path, storage=JSONStorage)
        self.experiments, self.log, self.count = self.db.table("experiments"), self.db.table("change_log"), len(exps)

    def commit(self, k: int) -> None:
        doc_id = k % self.count + 1
        exp = self.experiments.get(doc_id=doc_id)
        self.experiments.update({"state": "applied" if exp["state"] != "applied" else "analyzed"}, doc_ids=[doc_id])
        self.log.insert(log_entry(self.history + k).model_dump(mode="json"))

    def newest_50(self) -> int:
        reader = TinyDB(self.path, storage=JSONStorage, access_mode="r")
        rows = sorted(reader.table("change_log").all(), key=lambda d: d.doc_id, reverse=True)[:50]
        reader.close()
        return len([ChangeLogEntry.model_validate(row) for row in rows])

    def close(self) -> None:
        self.db.close()


class Sqlite:
    name = "sqlite3 WAL FULL"

    def __init__(self, root: Path, history: int) -> None:
        self.path, self.history = root / "sqlite.db", history
        con = self.con = sqlite3.connect(self.path, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        con.execute("CREATE TABLE experiments (n INTEGER PRIMARY KEY, doc TEXT NOT NULL)")
        con.execute("CREATE TABLE change_log (seq INTEGER PRIMARY KEY, doc TEXT NOT NULL)")
        con.execute("BEGIN")
        con.executemany(
            "INSERT INTO experiments (doc) VALUES (?)",
            ((experiment(i).model_dump_json(),) for i in range(0, history, 10)),
        )
        con.executemany(
            "INSERT INTO change_log (doc) VALUES (?)", ((log_entry(i).model_dump_json(),) for i in range(history))
        )
        con.execute("COMMIT")
        self.count = con.execute("SELECT count(*) FROM experiments").fetchone()[0]

    def commit(self, k: int) -> None:
        n = k % self.count + 1
        self.con.execute("BEGIN IMMEDIATE")
        doc = json.loads(self.con.execute("SELECT doc FROM experiments WHERE n = ?", (n,)).fetchone()[0])
        doc["state"] = "applied" if doc["state"] != "applied" else "analyzed"
        self.con.execute("UPDATE experiments SET doc = ? WHERE n = ?", (json.dumps(doc), n))
        self.con.execute("INSERT INTO change_log (doc) VALUES (?)", (log_entry(self.history + k).model_dump_json(),))
        self.con.execute("COMMIT")

    def newest_50(self) -> int:
        reader = sqlite3.connect(self.path)
        rows = reader.execute("SELECT doc FROM change_log ORDER BY seq DESC LIMIT 50").fetchall()
        reader.close()
        return len([ChangeLogEntry.model_validate_json(row[0]) for row in rows])

    def close(self) -> None:
        self.con.close()


BACKENDS = (MaasStore, StockTinyDB, Sqlite)


def ms(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def run_backend(backend: type, base: Path, sizes: list[int], commits: int) -> list[tuple]:
    """Both histories side by side, their commits interleaved, so that load on the machine hits both alike."""
    started = time.perf_counter()
    subjects = {}
    for history in sizes:
        root = base / f"{backend.__name__}-{history}"
        root.mkdir()
        subjects[history] = backend(root, history)
    os.sync()  # let the preload's writeback finish before timing
    # stock TinyDB rewrites its whole file per operation: fewer commits keep the run short
    quota = {h: commits if backend is not StockTinyDB else max(3, commits * 500 // (h * 2)) for h in sizes}
    latencies: dict[int, list[float]] = {h: [] for h in sizes}
    for k in range(max(quota.values())):
        for history, subject in subjects.items():
            if k < quota[history]:
                latencies[history].append(ms(lambda: subject.commit(k)))
    rows = []
    for history, subject in subjects.items():
        read = ms(lambda: subject.newest_50())
        subject.close()
        rows.append((history, backend.name, quota[history], latencies[history], read))
    print(f"  done: {backend.name} ({time.perf_counter() - started:.1f} s)", file=sys.stderr, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="history 1,000 and 10,000 instead of 1,000 and 100,000")
    parser.add_argument("--commits", type=int, default=100, help="commits timed per backend and history (default 100)")
    parser.add_argument("--dir", type=Path, default=None, help="where to put the stores (default: a temp folder)")
    args = parser.parse_args()
    sizes = [1_000, 10_000] if args.quick else [1_000, 100_000]
    base = Path(tempfile.mkdtemp(prefix="bench-store-", dir=args.dir))
    rows = []
    try:
        for backend in BACKENDS:
            rows += run_backend(backend, base, sizes, args.commits)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print_table(rows, sizes)
    flag = " --quick" if args.quick else ""
    print(f"\nreproduce: python bench/bench_store.py{flag} --commits {args.commits}")
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, files in {args.dir or tempfile.gettempdir()}")


def print_table(rows: list, sizes: list[int]) -> None:
    print(f"\n{'history':>8}  {'backend':<20} {'commits':>7}  {'median ms':>9}  {'p95 ms':>8}  {'commits/s':>9}  {'newest-50 read ms':>17}")
    medians: dict[tuple[str, int], float] = {}
    for history, name, commits, latencies, read_ms in rows:
        median = statistics.median(latencies)
        p95 = sorted(latencies)[max(0, round(0.95 * len(latencies)) - 1)]
        medians[(name, history)] = median
        print(
            f"{history:>8,}  {name:<20} {commits:>7}  {median:>9.2f}  {p95:>8.2f}  "
            f"{1000 / statistics.mean(latencies):>9.0f}  {read_ms:>17.1f}"
        )
    small, large = sizes
    print(f"\nmedian commit with {large:,} history / with {small:,}:")
    for backend in BACKENDS:
        name = backend.name
        print(f"  {name:<20} x{medians[(name, large)] / medians[(name, small)]:.2f}")


if __name__ == "__main__":
    main()
