"""Several processes: concurrent writers, writers killed at random points, the engine lock."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from store import EngineBusy, Store
import store.manifest as manifest_module
from store.manifest import read_manifest
from store.models import ChangeLogEntry, Experiment

WRITER = r"""
import sys, time
from pathlib import Path
from store import Store
from store.models import ChangeLogEntry, Experiment
path, name, count, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
store = Store.open(path)
while not go.exists():
    time.sleep(0.005)
for i in range(count):
    with store.transaction():
        exp = store.insert(Experiment(campaign_id="cmp-000001", title=f"{name}-{i}"))
        store.append_log(ChangeLogEntry(kind="experiment.planned", summary=exp.title, experiment_id=exp.id))
    print(exp.id, exp.title, flush=True)
"""


def check_store(path: Path, acked: dict[str, str]) -> Store:
    """Every acknowledged commit is there, each record with its log entry, and the chain verifies."""
    store = Store.open(path)
    for exp_id, title in acked.items():
        assert store.get(Experiment, exp_id).title == title
    records = store.all(Experiment)
    entries = store.log()
    assert [(e.experiment_id, e.summary) for e in entries] == [(r.id, r.title) for r in records]
    result = store.verify_log()
    assert result.ok, result
    return store


def test_two_writer_processes_lose_nothing_and_share_no_id(tmp_path: Path) -> None:
    path, go, count = tmp_path / "store", tmp_path / "go", 80
    Store.open(path).close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), name, str(count), str(go)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    time.sleep(0.3)
    go.touch()
    acked: dict[str, str] = {}
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        for line in out.splitlines():
            exp_id, title = line.split()
            assert exp_id not in acked, f"id {exp_id} given twice"
            acked[exp_id] = title
    assert len(acked) == 2 * count
    store = check_store(path, acked)
    assert sorted(acked) == [f"exp-{n:06d}" for n in range(1, 2 * count + 1)]
    assert store.count(Experiment) == store.log_count() == 2 * count
    # the writers really interleaved (otherwise this test proves little)
    owners = [e.title.split("-")[0] for e in store.all(Experiment)]
    assert sum(a != b for a, b in zip(owners, owners[1:])) > 2


def _write_until_killed(path: Path, ack_fd: int, tag: str) -> None:
    store = Store.open(path)
    for i in range(10**9):
        with store.transaction():
            exp = store.insert(Experiment(campaign_id="cmp-000001", title=f"{tag}-{i}"))
            store.append_log(ChangeLogEntry(kind="experiment.planned", summary=exp.title, experiment_id=exp.id))
        os.write(ack_fd, f"{exp.id} {exp.title}\n".encode())


def _read_all(fd: int) -> str:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks).decode()


def _leftovers(path: Path) -> bool:
    """Did the kill land inside a commit (files the manifest does not name)?"""
    manifest = read_manifest(path)
    on_disk = set(os.listdir(path / "data"))
    return on_disk != manifest.file_names() or any(n.endswith(".tmp") for n in os.listdir(path))


def run_crashes(path: Path, kills: int, seed: int) -> None:
    rng = random.Random(seed)
    acked: dict[str, str] = {}
    mid_commit = 0
    for k in range(kills):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            try:
                _write_until_killed(path, write_fd, f"k{k}")
            finally:
                os._exit(1)
        os.close(write_fd)
        early = b""
        if k % 2 == 0:  # half the kills land in steady commits, after the first acknowledgement
            ready, _, _ = select.select([read_fd], [], [], 30)
            assert ready, "writer made no commit in 30 s"
            early = os.read(read_fd, 65536)
        time.sleep(rng.uniform(0.0, 0.03))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status), f"writer ended by itself (status {status}); see its stderr"
        for line in (early.decode() + _read_all(read_fd)).splitlines():
            exp_id, title = line.split()
            acked[exp_id] = title
        os.close(read_fd)
        if (path / "MANIFEST.json").exists():
            mid_commit += _leftovers(path)
        store = check_store(path, acked)
        assert store.count(Experiment) - len(acked) <= k + 1  # at most the in-flight commit per kill
        store.close()
    assert mid_commit > 0, "no kill landed inside a commit; the test did not exercise recovery"
    assert len(acked) >= kills // 2  # every steady-state writer acknowledged at least once


def test_writers_killed_at_random_points_lose_no_acknowledged_commit(tmp_path: Path) -> None:
    run_crashes(tmp_path / "store", kills=60, seed=20250501)


def test_writers_killed_while_every_commit_folds_an_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manifest_module, "HOT_LIMIT", 0)  # the forked writers inherit it
    run_crashes(tmp_path / "store", kills=30, seed=99)


@pytest.mark.slow
def test_writers_killed_at_random_points_many_times(tmp_path: Path) -> None:
    run_crashes(tmp_path / "store", kills=500, seed=7)


def test_the_engine_lock_is_held_across_processes_and_freed_when_the_holder_dies(tmp_path: Path) -> None:
    path = tmp_path / "store"
    Store.open(path).close()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            with Store.open(path).engine_lock():
                os.write(write_fd, b"held\n")
                time.sleep(60)
        finally:
            os._exit(0)
    os.close(write_fd)
    assert os.read(read_fd, 10) == b"held\n"
    store = Store.open(path)
    assert store.engine_running()
    with pytest.raises(EngineBusy, match=rf"\(pid {pid}\)"):
        with store.engine_lock():
            pass
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(read_fd)
    assert not store.engine_running()
    with store.engine_lock():
        assert store.engine_running()
