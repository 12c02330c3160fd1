"""A store opened read-only: it creates, locks and clears nothing, refuses every write before
touching disk, and still sees what a writer commits."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest
from store_factories import entry, experiment

from store import Store, StoreError
from store.models import Campaign, ChangeLogEntry, Experiment


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def tree(folder: Path) -> dict[str, tuple[int, int, bytes | None]]:
    """Every folder and file (lock files too) with its mode, inode and bytes."""
    return {str(p.relative_to(folder)): (p.stat().st_mode, p.stat().st_ino, p.read_bytes() if p.is_file() else None)
            for p in [folder, *sorted(folder.rglob("*"))]}


def test_a_missing_store_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="MANIFEST.json is missing.*nothing was created"):
        Store.open(tmp_path / "none", read_only=True)
    assert not (tmp_path / "none").exists()
    (tmp_path / "empty").mkdir()  # a folder without a manifest is no store either
    with pytest.raises(StoreError, match=rf"no store at {tmp_path / 'empty'}"):
        Store.open(tmp_path / "empty", read_only=True)
    assert list((tmp_path / "empty").iterdir()) == []


def test_every_write_is_refused_before_touching_disk(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s") as writer:
        kept = writer.insert(Campaign(name="c", goal_text="g"))
    before = files(tmp_path / "s")
    reader = Store.open(tmp_path / "s", read_only=True)
    attempts = {
        "insert": lambda: reader.insert(Campaign(name="d", goal_text="g")),
        "update": lambda: reader.update(kept.model_copy(update={"name": "x"})),
        "append_log": lambda: reader.append_log(ChangeLogEntry(kind="cycle", summary="s")),
        "transaction": lambda: reader.transaction().__enter__(),
        "engine_lock": lambda: reader.engine_lock().__enter__(),
    }
    for name, attempt in attempts.items():
        with pytest.raises(StoreError, match=rf"refused: the store at {tmp_path / 's'} is open read-only"):
            attempt()
        assert files(tmp_path / "s") == before, name
    assert reader.all(Campaign) == [kept] and not reader.engine_running()


def test_reading_creates_nothing_not_even_a_lock_file(tmp_path: Path) -> None:
    path = tmp_path / "s"
    with Store.open(path) as writer, writer.transaction():
        exp = writer.insert(experiment())
        writer.append_log(entry(experiment_id=exp.id))
    for name in ("writer.lock", "engine.lock"):
        (path / name).unlink(missing_ok=True)  # as on a copy made without its lock files
    before = tree(path)
    reader = Store.open(path, read_only=True)
    assert reader.get(Experiment, exp.id) == exp and reader.find(Experiment, state="planned") == [exp]
    assert reader.count(Experiment) == 1 and reader.page(Experiment, 0, 1, reverse=True) == [exp]
    assert [e.experiment_id for e in reader.log()] == [exp.id] and reader.log_count() == 1
    assert reader.verify_log().ok and reader.generation() >= 1
    reader.check_files()
    assert not reader.engine_running()
    assert tree(path) == before


def test_a_reader_sees_an_engine_and_probes_never_mistake_each_other_for_one(tmp_path: Path) -> None:
    path = tmp_path / "s"
    engine = Store.open(path)
    reader = Store.open(path, read_only=True)
    with engine.engine_lock():
        assert reader.engine_running()
    assert not reader.engine_running()
    # another process's probe holds the lock for a moment: nobody takes it for an engine
    fd = os.open(path / "engine.lock", os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        assert not reader.engine_running() and not Store.open(path).engine_running()
    finally:
        os.close(fd)
    with engine.engine_lock():  # and it is free again for an engine
        pass


def test_a_reader_sees_later_commits_and_leaves_crash_leftovers_to_the_writer(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s") as writer:
        writer.insert(Campaign(name="c", goal_text="g"))
    leftover = tmp_path / "s" / "data" / "campaigns.00000.g9999999999.json"  # no manifest names it
    leftover.write_bytes(b"{}")
    temp = tmp_path / "s" / "MANIFEST.json.123.tmp"
    temp.write_bytes(b"half")
    reader = Store.open(tmp_path / "s", read_only=True)
    assert [c.name for c in reader.all(Campaign)] == ["c"]  # it reads past both
    assert leftover.exists() and temp.exists()  # a reader clears nothing
    with Store.open(tmp_path / "s") as writer:  # the next writer does
        assert not leftover.exists() and not temp.exists()
        writer.insert(Campaign(name="later", goal_text="g"))
    assert [c.name for c in reader.all(Campaign)] == ["c", "later"]


WRITER = r"""
import sys
import store.manifest
from store import Store
from store.models import ChangeLogEntry, Experiment
store.manifest.HOT_LIMIT = 0  # every commit also folds the index file: more files replaced under the reader
writer = Store.open(sys.argv[1])
for i in range(int(sys.argv[2])):
    with writer.transaction():
        exp = writer.insert(Experiment(campaign_id="cmp-000001", title=f"w-{i}"))
        writer.append_log(ChangeLogEntry(kind="experiment.planned", summary=exp.title, experiment_id=exp.id))
"""


def test_a_reader_keeps_up_with_a_writer_process_that_replaces_files_under_it(tmp_path: Path) -> None:
    """Each commit supersedes partitions and index files and deletes the old ones: the reader retries, never fails."""
    path, commits = tmp_path / "s", 100
    Store.open(path).close()
    reader = Store.open(path, read_only=True)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(commits)], stderr=subprocess.PIPE, text=True)
    seen, sizes = 0, set()
    while writer.poll() is None or seen < commits:
        titles = [e.title for e in reader.all(Experiment)]
        assert titles == [f"w-{i}" for i in range(len(titles))], titles  # each commit whole, or not at all
        assert len(titles) >= seen
        seen = len(titles)
        sizes.add(seen)
        if writer.returncode is not None and seen < commits:
            break
    assert writer.wait() == 0, writer.stderr.read() if writer.stderr else ""
    assert seen == commits and len(sizes) > 2, sorted(sizes)  # it read while the writer wrote
    assert [e.summary for e in reader.log()] == [f"w-{i}" for i in range(commits)]
    assert reader.verify_log().ok


def test_a_read_that_keeps_losing_to_commits_holds_them_off_once_and_succeeds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Deterministic: a commit lands inside every lock-free try of one read, superseding (and
    deleting) the very partition it is about to load; the last try holds writer.lock shared."""
    from store.store import READ_RETRIES

    path = tmp_path / "s"
    writer = Store.open(path)
    writer.insert(Campaign(name="c0", goal_text="g"))
    reader = Store.open(path, read_only=True)
    load = reader._cache.load
    landed: list[str] = []

    def commit_unless_held_off() -> None:
        fd = os.open(path / "writer.lock", os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # the reader holds commits off
        finally:
            os.close(fd)
        landed.append(writer.insert(Campaign(name=f"c{len(landed) + 1}", goal_text="g")).name)

    def racing_load(kind, key, meta):
        commit_unless_held_off()
        return load(kind, key, meta)

    monkeypatch.setattr(reader._cache, "load", racing_load)
    names = [c.name for c in reader.all(Campaign)]
    assert len(landed) == READ_RETRIES  # every lock-free try lost its file to a commit
    assert names == ["c0", *landed]  # the last try read the latest commit, whole
