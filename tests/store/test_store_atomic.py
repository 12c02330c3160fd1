"""Crashes inside a commit, torn and truncated files, and file permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from store_factories import campaign, entry, experiment

import store.manifest as manifest_module
from store import Store, StoreCorrupt
from store.manifest import read_manifest
from store.models import Campaign, Experiment

STEPS = ("partitions-written", "manifest-written", "manifest-replaced")


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs, no cleanup in the store."""


def crash_at(store: Store, step: str) -> None:
    def hook(name: str) -> None:
        if name == step:
            raise Crash(step)

    store._commit_hook = hook


def commit_pair(store: Store, title: str) -> None:
    with store.transaction():
        exp = store.insert(experiment(title=title))
        store.append_log(entry(summary=title, experiment_id=exp.id))


def files(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


@pytest.mark.parametrize("hot_limit", [32, 0])
@pytest.mark.parametrize("step", STEPS)
def test_a_crash_at_any_step_leaves_the_old_or_the_new_state(
    store_path: Path, step: str, hot_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(manifest_module, "HOT_LIMIT", hot_limit)  # 0: every commit also folds an index
    store = Store.open(store_path)
    commit_pair(store, "kept")
    crash_at(store, step)
    with pytest.raises(Crash):
        commit_pair(store, "in flight")
    assert any(name.endswith(".tmp") for name in files(store_path)) == (step == "manifest-written")
    if hot_limit == 0:
        assert len([n for n in files(store_path) if ".index." in n]) == 4  # old and new, until the sweep

    reopened = Store.open(store_path)
    titles = [e.title for e in reopened.all(Experiment)]
    new_state = step == "manifest-replaced"
    assert titles == (["kept", "in flight"] if new_state else ["kept"])
    assert reopened.log_count() == len(titles)  # record and log entry landed together
    assert reopened.verify_log().ok
    # the sweep left exactly the files the manifest names
    assert set(os.listdir(store_path / "data")) == read_manifest(store_path).file_names()
    assert not [n for n in files(store_path) if n.endswith(".tmp")]
    commit_pair(reopened, "after")  # and the store goes on
    assert reopened.count(Experiment) == len(titles) + 1


def test_a_process_that_dies_mid_commit_releases_the_lock_and_loses_only_that_commit(store_path: Path) -> None:
    Store.open(store_path).insert(campaign("before"))
    for step in STEPS:
        pid = os.fork()
        if pid == 0:  # child: die for real inside the commit
            try:
                child = Store.open(store_path)
                child._commit_hook = lambda name, step=step: os._exit(3) if name == step else None
                child.insert(campaign(step))
            finally:
                os._exit(4)
        _, status = os.waitpid(pid, 0)
        assert os.WEXITSTATUS(status) == 3
    names = [c.name for c in Store.open(store_path).all(Campaign)]
    assert names == ["before", "manifest-replaced"]


def test_torn_temp_files_and_orphans_are_ignored_and_cleaned(store_path: Path) -> None:
    store = Store.open(store_path)
    store.insert(campaign())
    (store_path / "MANIFEST.json.999.tmp").write_bytes(b'{"format":1,"gener')
    orphan = store_path / "data" / "campaigns.00000.g0000000999.json"
    orphan.write_bytes(b'{"campaigns":{"1":{"id"')
    reopened = Store.open(store_path)
    assert [c.name for c in reopened.all(Campaign)] == ["lift precision"]
    assert not (store_path / "MANIFEST.json.999.tmp").exists() and not orphan.exists()


def _partition(store_path: Path, prefix: str) -> Path:
    return next(p for p in (store_path / "data").iterdir() if p.name.startswith(prefix))


def test_a_truncated_partition_is_reported_with_its_file_name(store_path: Path) -> None:
    store = Store.open(store_path)
    store.insert(experiment())
    part = _partition(store_path, "experiments.")
    part.write_bytes(part.read_bytes()[:40])
    fresh = Store.open(store_path)
    with pytest.raises(StoreCorrupt, match=rf"{part.name}: content does not match its seal"):
        fresh.all(Experiment)
    with pytest.raises(StoreCorrupt, match=part.name):
        fresh.get(Experiment, "exp-000001")


def test_a_partition_edited_by_hand_is_reported_not_silently_used(store_path: Path) -> None:
    store = Store.open(store_path)
    store.insert(experiment())
    part = _partition(store_path, "experiments.")
    part.write_bytes(part.read_bytes().replace(b"top-k +1", b"top-k +9"))
    with pytest.raises(StoreCorrupt, match=part.name):
        Store.open(store_path).get(Experiment, "exp-000001")


def test_a_missing_partition_is_reported(store_path: Path) -> None:
    store = Store.open(store_path)
    store.insert(experiment())
    part = _partition(store_path, "experiments.")
    part.unlink()
    with pytest.raises(StoreCorrupt, match=rf"{part.name}: partition file is missing"):
        Store.open(store_path).all(Experiment)


@pytest.mark.parametrize("content", [b"", b'{"format":1,"generation":3', b"\x00" * 10, b'{"format": 1}'])
def test_a_broken_manifest_is_reported_never_an_empty_store(store_path: Path, content: bytes) -> None:
    Store.open(store_path).insert(campaign())
    (store_path / "MANIFEST.json").write_bytes(content)
    with pytest.raises(StoreCorrupt, match="MANIFEST.json"):
        Store.open(store_path)


def test_a_lost_manifest_over_existing_data_is_refused(store_path: Path) -> None:
    Store.open(store_path).insert(campaign())
    (store_path / "MANIFEST.json").unlink()
    with pytest.raises(StoreCorrupt, match="MANIFEST.json is missing but .* holds 1 partition files"):
        Store.open(store_path)


def test_files_stay_private_across_rewrites(store_path: Path) -> None:
    old = os.umask(0o022)
    try:
        store_path.mkdir(parents=True, mode=0o755)
        store = Store.open(store_path)
        for i in range(5):
            commit_pair(store, f"e{i}")
        with store.engine_lock():
            pass
        (store_path / "MANIFEST.json").chmod(0o644)  # someone loosened it; the next commit tightens it
        commit_pair(store, "again")
    finally:
        os.umask(old)
    checked = 0
    for path in [store_path, *store_path.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), f"{path} has mode {oct(mode)}"
        checked += 1
    assert checked >= 6


def test_a_store_path_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    from store import StoreError

    (tmp_path / "store").write_text("not a folder")
    with pytest.raises(StoreError, match="cannot open the store at .*store"):
        Store.open(tmp_path / "store")


def test_replace_atomic_is_whole_or_nothing_and_keeps_a_chosen_mode(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from store.files import replace_atomic

    old = os.umask(0o022)
    try:
        shared, private = tmp_path / "shared.yaml", tmp_path / "new.yaml"
        shared.write_bytes(b"old")
        shared.chmod(0o640)  # its owner shares it with a group on purpose
        replace_atomic(shared, b"new", keep_mode=True)
        replace_atomic(private, b"fresh", keep_mode=True)  # nothing to keep: private
    finally:
        os.umask(old)
    assert (shared.read_bytes(), stat.S_IMODE(shared.stat().st_mode)) == (b"new", 0o640)
    assert (private.read_bytes(), stat.S_IMODE(private.stat().st_mode)) == (b"fresh", 0o600)

    def refuse(src, dst, **kw):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(dst))

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="Read-only file system"):
        replace_atomic(shared, b"lost", keep_mode=True)
    monkeypatch.undo()
    assert shared.read_bytes() == b"new" and sorted(os.listdir(tmp_path)) == ["new.yaml", "shared.yaml"]
    def die() -> None:
        raise Crash("before the rename")

    with pytest.raises(Crash):  # a process that dies before the rename leaves its temp (a store sweeps it)
        replace_atomic(shared, b"lost", before_replace=die)
    assert shared.read_bytes() == b"new" and [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
