"""A full disk, a failed fsync, a read-only workspace, torn files and leftovers.

Each ends in a clear error naming the file, or in a retry; never in a half-applied change
or an engine running on an empty store.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hardening_invariants import check, tuner_active
from hardening_ws import CLI, env_for, no_traceback, refused_run

from manager.cli import main
from manager.engine import Engine
from manager.workspace import store_dir
from store import Store, StoreError
from store.models import Campaign, ChangeLogEntry, Cycle, Experiment


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.endswith(".lock")}


# --- a full disk, a failed fsync ------------------------------------------------------


def fail_writes(monkeypatch: pytest.MonkeyPatch, when, error: int = errno.ENOSPC) -> list[str]:
    """Make write(2) raise OSError(error) on the store files ``when(name, data)`` picks, as a full disk does."""
    hits: list[str] = []
    real = os.write

    def write(fd: int, data) -> int:
        try:
            path = Path(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            path = None
        if path is not None and "store" in path.parts and when(path.name, bytes(data)):
            hits.append(path.name)
            raise OSError(error, os.strerror(error))
        return real(fd, data)

    monkeypatch.setattr(os, "write", write)
    return hits


@pytest.mark.parametrize("target", ["partition", "manifest"])
def test_a_full_disk_fails_the_commit_with_the_file_named_and_keeps_the_previous_state(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    store = Store.open(tmp_path / "store")
    store.insert(Campaign(name="kept", goal_text="g"))
    before = snapshot(tmp_path / "store")
    prefix = "campaigns." if target == "partition" else "MANIFEST.json"
    fail_writes(monkeypatch, lambda name, _: name.startswith(prefix))
    with pytest.raises(StoreError) as caught:
        with store.transaction():
            store.insert(Campaign(name="lost", goal_text="g"))
            store.append_log(ChangeLogEntry(kind="campaign", summary="lost"))
    message = str(caught.value)
    assert "No space left on device" in message
    assert prefix in message and "keeps its previous state" in message, message
    monkeypatch.undo()

    assert [c.name for c in store.all(Campaign)] == ["kept"] and store.log_count() == 0
    reopened = Store.open(tmp_path / "store")  # sweeps the orphans of the failed commit
    assert snapshot(tmp_path / "store") == before
    reopened.insert(Campaign(name="after", goal_text="g"))  # and the store goes on
    assert [c.name for c in reopened.all(Campaign)] == ["kept", "after"]


def test_a_failed_fsync_is_a_store_error_naming_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.open(tmp_path / "store")
    store.insert(Campaign(name="kept", goal_text="g"))
    real = os.fsync

    def fsync(fd: int) -> None:
        if "MANIFEST" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(StoreError, match=r"Input/output error.*MANIFEST\.json"):
        store.insert(Campaign(name="lost", goal_text="g"))
    monkeypatch.undo()
    assert [c.name for c in Store.open(tmp_path / "store").all(Campaign)] == ["kept"]


def test_a_full_disk_at_the_apply_fails_the_cycle_cleanly_and_the_next_run_works(
        after_cycle1: Path, ws_copy, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills exactly when the change log would record an apply (the tuner has applied)."""
    ws = ws_copy(after_cycle1)
    before_version = tuner_active(ws)
    hits = fail_writes(monkeypatch, lambda name, data: name.startswith("change_log.") and b'"kind":"change"' in data
                       and not hits)
    engine = Engine(ws)
    asyncio.run(engine.run(until_idle=True, max_cycles=1))
    monkeypatch.undo()
    assert hits, "the fault was never hit: the cycle did not reach an apply"

    store = Store.open(store_dir(ws))
    assert store.log(kind="change") == [], "nothing is recorded as applied"
    assert not store.find(Experiment, state="applied")
    errors = [e for e in store.log(kind="error") if "No space left on device" in e.summary]
    assert errors and "change_log." in errors[-1].summary, [e.summary for e in store.log(kind="error")]
    aborted = store.all(Cycle)[-1]
    assert aborted.state == "IDLE" and "No space left" in aborted.report
    assert tuner_active(ws) == before_version, "the tuner was put back to the version the store records"
    check(ws)

    cycles = store.count(Cycle)
    asyncio.run(Engine(ws).run(until_idle=True, max_cycles=1))  # the disk has room again: learning goes on
    observed = check(ws)
    assert store.count(Cycle) == cycles + 1
    assert observed.log[-1].summary == "engine stopped"


# --- a read-only workspace ---------------------------------------------------------------


def test_a_read_only_store_refuses_every_write_with_a_clear_error(
        after_cycle1: Path, ws_copy, monkeypatch: pytest.MonkeyPatch) -> None:
    """As root, chmod does not stop writes; here every rename into the store fails as on a read-only mount."""
    ws = ws_copy(after_cycle1)
    before = snapshot(store_dir(ws))
    real = os.replace

    def replace(src, dst, **kw):
        if str(store_dir(ws)) in str(dst):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(dst))
        return real(src, dst, **kw)

    monkeypatch.setattr(os, "replace", replace)
    engine = Engine(ws)
    with pytest.raises(StoreError, match=r"Read-only file system.*MANIFEST\.json"):
        asyncio.run(engine.run(until_idle=True, max_cycles=1))
    monkeypatch.undo()
    store = Store.open(store_dir(ws))  # sweeps what the refused commit left (its temp files)
    assert snapshot(store_dir(ws)) == before, "nothing of the refused writes remains"
    assert store.verify_log().ok
    check(ws)


def _ro_mount_works(tmp_path: Path) -> bool:
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = shlex.quote(str(tmp_path / "probe"))
    (tmp_path / "probe").mkdir()
    done = subprocess.run(["unshare", "-m", "sh", "-c",
                           f"mount --bind {probe} {probe} && mount -o remount,ro,bind {probe} && ! touch {probe}/x"],
                          capture_output=True)
    return done.returncode == 0


def test_a_workspace_on_a_read_only_mount(after_cycle1: Path, ws_copy, tmp_path: Path) -> None:
    """A real read-only bind mount, in a private mount namespace (needs root and unshare; else skipped).

    Whatever only reads (history, campaign list, a TUI session's store) opens the store read-only:
    no lock, no sweep, nothing created, so it works there. The engine needs to write: it stops
    at once with the mount's error naming the store.
    """
    if not _ro_mount_works(tmp_path):
        pytest.skip("no read-only bind mount here (needs root and unshare -m)")
    ws = ws_copy(after_cycle1)
    before = snapshot(ws)
    with Store.open(store_dir(ws), read_only=True) as store:
        entries, campaigns = store.log(), store.all(Campaign)

    def under_ro(*command: str) -> subprocess.CompletedProcess[str]:
        folder = shlex.quote(str(ws))
        script = f"mount --bind {folder} {folder} && mount -o remount,ro,bind {folder} && exec {shlex.join(command)}"
        return subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120,
                              env=env_for(ws))

    run = under_ro(*CLI, "-w", str(ws), "run", "--until-idle", "--cycles", "1", "-q")
    assert run.returncode == 1, run.stderr
    no_traceback(run.stderr)
    assert "Read-only file system" in run.stderr and str(store_dir(ws)) in run.stderr, run.stderr
    listing = under_ro(*CLI, "-w", str(ws), "history", "list", "--json")
    no_traceback(listing.stderr)
    assert listing.returncode == 0, listing.stderr
    assert [json.loads(line)["hash"] for line in listing.stdout.splitlines()] == [e.hash for e in entries]
    verified = under_ro(*CLI, "-w", str(ws), "history", "verify")
    assert verified.returncode == 0 and f"{len(entries)} entries verified" in verified.stdout, verified
    listed = under_ro(*CLI, "-w", str(ws), "campaign", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [c["id"] for c in json.loads(listed.stdout)] == [c.id for c in campaigns]
    # the TUI's session (not a read-only one: the TUI only ever reads its store)
    session = under_ro(sys.executable, "-c", (
        "import sys; from pathlib import Path; from tui.session import Session; from store.models import Campaign\n"
        "store = Session(Path(sys.argv[1])).store\n"
        "print(store.read_only, store.count(Campaign), store.log_count(), store.engine_running())"), str(ws))
    assert session.returncode == 0, session.stderr
    assert session.stdout.split() == ["True", str(len(campaigns)), str(len(entries)), "False"], session.stdout
    assert snapshot(ws) == before


# --- torn, truncated, missing store files; leftover temp files ------------------------------


def _first(folder: Path, prefix: str) -> Path:
    return next(p for p in sorted(folder.iterdir()) if p.name.startswith(prefix))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


BREAKAGES = {
    "truncated partition": lambda ws: truncate(_first(store_dir(ws) / "data", "tasks.")),
    "torn manifest": lambda ws: truncate(store_dir(ws) / "MANIFEST.json"),
    "empty manifest": lambda ws: (store_dir(ws) / "MANIFEST.json").write_bytes(b""),
    "lost manifest": lambda ws: (store_dir(ws) / "MANIFEST.json").unlink(),
    "truncated change log": lambda ws: truncate(_first(store_dir(ws) / "data", "change_log.")),
    "lost partition": lambda ws: _first(store_dir(ws) / "data", "experiments.").unlink(),
    "torn tuner versions": lambda ws: truncate(ws / "maas" / "params.json"),
    # the whole store gone: never a silent empty store in a workspace that had one
    "lost store folder": lambda ws: shutil.rmtree(store_dir(ws)),
    "emptied store folder": lambda ws: [shutil.rmtree(p) if p.is_dir() else p.unlink()
                                        for p in list(store_dir(ws).iterdir())],
}
NAMED = {
    "truncated partition": "tasks.", "torn manifest": "MANIFEST.json", "empty manifest": "MANIFEST.json",
    "lost manifest": "MANIFEST.json", "truncated change log": "change_log.", "lost partition": "experiments.",
    "torn tuner versions": "params.json", "lost store folder": "MANIFEST.json is missing",
    "emptied store folder": "MANIFEST.json is missing",
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_run_on_a_broken_store_names_the_file_and_never_starts(after_cycle1: Path, ws_copy, breakage: str) -> None:
    ws = ws_copy(after_cycle1)
    BREAKAGES[breakage](ws)
    before = snapshot(ws)
    err = refused_run(ws, as_process=breakage == "truncated partition")  # once as a real process, the rest here
    assert err.startswith("Error: ") and NAMED[breakage] in err, err
    assert snapshot(ws) == before, "the engine wrote nothing: it never started on a broken or empty store"


def test_leftover_temp_files_and_orphans_are_swept_and_the_engine_runs(after_cycle1: Path, ws_copy) -> None:
    ws = ws_copy(after_cycle1)
    folder = store_dir(ws)
    leftovers = [folder / "MANIFEST.json.4242.tmp", folder / "data" / "tasks.00000.g0000099999.json",
                 folder / "data" / "experiments.00000.g0000000001.json.4242.tmp"]
    for path in leftovers:
        path.write_bytes(b'{"torn": ')
    done = CliRunner().invoke(main, ["-w", str(ws), "run", "--until-idle", "--cycles", "0", "-q"])
    assert done.exit_code == 0, done.output
    assert not [p for p in leftovers if p.exists()]
    check(ws)
