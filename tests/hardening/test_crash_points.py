"""The engine killed at every persistence point of real learning cycles, then restarted.

``MAAS_MANAGER_CRASH_AT_COMMIT=N:PHASE`` (store/crashpoint.py) ends ``maas-manager run``
inside its Nth commit, just before MANIFEST.json is replaced (the commit is lost) or just
after (it is durable). A reference run of the same workspace, traced commit by commit,
says what the store must hold at that point. After each crash:

- the store loads at exactly the last durable commit, and its change log is the reference
  run's log up to that commit, entry for entry, with a chain that verifies;
- after a restart (recovery), every invariant of ``hardening_invariants`` holds and the
  entries seen before the restart are unchanged;
- at some points learning then goes on for another cycle and the invariants hold again.

The same for a reviewer's approval carried out by ``maas-manager approve`` itself: after
the restart the pending command is carried out, the change applied exactly once.

Default run: the points around the apply of a change plus a sample, and the approval's
crash between the Tuner and the store. ``pytest -m slow``: every point, both phases, of the
demo's first two cycles (one rejects, one applies) and of an approval.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hardening_invariants import check, log_key, restart, tuner_active
from hardening_ws import TRACE, IN_PROCESS, cli, copy_ws, env_for, manifest_generation, parallel, trace_engine

from manager.engine import Engine
from manager.workspace import store_dir
from store import Store, StoreError
from store.crashpoint import CRASH_ENV, CRASH_EXIT
from store.models import ChangeLogEntry, Command, Experiment, ParameterVersion


@dataclass
class Reference:
    template: Path
    cycles: int
    start_generation: int
    start_log: int
    trace: list[dict[str, int]]  # after commit n: trace[n - 1]
    log: list[ChangeLogEntry] = field(default_factory=list)

    def durable(self, n: int, phase: str) -> tuple[int, int]:
        """(generation, change-log length) the store must show after a crash at (n, phase)."""
        last = n if phase == "after" else n - 1
        if last == 0:
            return self.start_generation, self.start_log
        point = self.trace[last - 1]
        return point["generation"], point["log"]

    def commit_of(self, kind: str) -> int:
        """The commit that wrote the first change-log entry of ``kind``."""
        seq = next(e.seq for e in self.log if e.kind == kind and e.seq > self.start_log)
        return next(n for n, point in enumerate(self.trace, start=1) if point["log"] >= seq)


def reference_run(template: Path, cycles: int, scratch: Path) -> Reference:
    ws = copy_ws(template, scratch / "reference")
    store = Store.open(store_dir(ws))
    ref = Reference(template, cycles, store.generation(), store.log_count(), [])
    ref.trace = trace_engine(ws, scratch / "reference.trace", cycles=cycles)
    ref.log = Store.open(store_dir(ws)).log()
    assert any(e.kind == "change" for e in ref.log[ref.start_log:]), "the reference run must apply a change"
    return ref


def crash_and_recover(ref: Reference, scratch: Path, point: tuple[int, str], go_on: bool = False,
                      tuner_ahead: bool = False) -> str:
    n, phase = point
    ws = copy_ws(ref.template, scratch / f"crash-{n}-{phase}")
    done = cli(ws, "run", "--until-idle", "--cycles", str(ref.cycles), "-q",
               env=env_for(ws, **{CRASH_ENV: f"{n}:{phase}"}))
    assert done.returncode == CRASH_EXIT, f"commit {n} ({phase}) was not reached: {done.returncode} {done.stderr}"

    generation, log_len = ref.durable(n, phase)
    assert manifest_generation(ws) == generation, f"crash at {n}:{phase}: wrong commit is durable"
    if phase == "before":  # died mid-commit: the new manifest was written but never renamed
        assert list(store_dir(ws).glob("MANIFEST.json.*.tmp")), f"crash at {n}:{phase}: no temp manifest"
    with IN_PROCESS:
        store = Store.open(store_dir(ws))
        log = store.log()
        if tuner_ahead:
            (recorded,) = store.find(ParameterVersion, active=True)
            assert tuner_active(ws) != recorded.version, "the tuner should have applied what the store lost"
        assert [log_key(e) for e in log] == [log_key(e) for e in ref.log[:log_len]], (
            f"crash at {n}:{phase}: the change log is not the reference run's up to that commit")
        assert store.verify_log().ok
        kept = [e.hash for e in log]
        restart(ws)
        observed = check(ws, kept=kept)
        assert not Store.open(store_dir(ws)).find(Command, state="pending")
        if go_on:
            asyncio.run(Engine(ws).run(until_idle=True, max_cycles=1))
            check(ws, kept=[e.hash for e in observed.log])
    return f"{n}:{phase}"


def sample(ref: Reference, every: int) -> list[tuple[int, str]]:
    apply_at = ref.commit_of("change")
    total = len(ref.trace)
    points = {(1, "before"), (apply_at, "before"), (apply_at, "after"), (total, "before")}
    points |= {(n, "after") for n in range(every // 2, total + 1, every)}
    return sorted(points)


def test_crash_at_sampled_commits_of_a_cycle_that_applies(after_cycle1: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    ref = reference_run(after_cycle1, 1, tmp_path)
    points = sample(ref, every=len(ref.trace))
    apply_at = ref.commit_of("change")
    between = {(apply_at, "before")}  # the tuner applied, the store did not record it
    done = parallel(lambda p: crash_and_recover(ref, tmp_path, p, go_on=p in between, tuner_ahead=p in between),
                    points)
    assert len(done) == len(points) >= 5
    print(f"\ncrash points: {len(done)} of {len(ref.trace)} commits, {time.monotonic() - started:.0f} s")


@pytest.mark.slow
def test_crash_at_every_commit_of_two_cycles(demo_auto: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    ref = reference_run(demo_auto, 2, tmp_path)
    points = [(n, phase) for n in range(1, len(ref.trace) + 1) for phase in ("before", "after")]
    go_on = {p for i, p in enumerate(points) if i % 20 == 0} | {(ref.commit_of("change"), "before")}
    done = parallel(lambda p: crash_and_recover(ref, tmp_path, p, go_on=p in go_on), points)
    assert len(done) == 2 * len(ref.trace)
    print(f"\ncrash points: {len(done)} ({len(ref.trace)} commits x 2 phases), "
          f"{time.monotonic() - started:.0f} s")


# --- a reviewer's approval, carried out by the CLI itself (no engine runs) -------------------------


def crash_an_approval(template: Path, scratch: Path, point: tuple[int, str], trace_len: int,
                      tuner_ahead: bool = False) -> str:
    n, phase = point
    ws = copy_ws(template, scratch / f"approve-{n}-{phase}")
    exp = Store.open(store_dir(ws)).find(Experiment, state="awaiting_approval")[0]
    done = cli(ws, "approve", exp.id, "-y", env=env_for(ws, **{CRASH_ENV: f"{n}:{phase}"}))
    assert done.returncode == CRASH_EXIT, f"commit {n} ({phase}) of {trace_len} not reached: {done.stderr}"
    with IN_PROCESS:
        store = Store.open(store_dir(ws))
        kept = [e.hash for e in store.log()]
        if tuner_ahead:
            (recorded,) = store.find(ParameterVersion, active=True)
            assert tuner_active(ws) != recorded.version, "the tuner should have applied what the store lost"
        restart(ws)  # the restarted engine recovers, then carries out the command still pending
        check(ws, kept=kept)
        store = Store.open(store_dir(ws))
        assert not store.find(Command, state="pending")
        state = store.get(Experiment, exp.id).state
        sent = n > 1 or phase == "after"  # the command record itself was committed
        assert state == ("applied" if sent else "awaiting_approval"), (point, state)
    return f"{n}:{phase}"


def approval_points(awaiting: Path, scratch: Path) -> tuple[list[tuple[int, str]], int]:
    ws = copy_ws(awaiting, scratch / "approve-reference")
    exp = Store.open(store_dir(ws)).find(Experiment, state="awaiting_approval")[0]
    done = subprocess.run(TRACE + [str(scratch / "approve.trace"), "--", "-w", str(ws), "approve", exp.id, "-y"],
                          env=env_for(ws), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    commits = len((scratch / "approve.trace").read_text().splitlines())
    assert Store.open(store_dir(ws)).get(Experiment, exp.id).state == "applied"
    return [(n, phase) for n in range(1, commits + 1) for phase in ("before", "after")], commits


def test_a_crash_between_the_tuner_and_the_store_during_an_approval(awaiting: Path, tmp_path: Path) -> None:
    """The Tuner applied the approved change; the commit that records it never happened."""
    # commit 1 sends the command, 2 records the approval, 3 records the apply
    crash_an_approval(awaiting, tmp_path, (3, "before"), 3, tuner_ahead=True)


@pytest.mark.slow
def test_crash_at_every_commit_of_an_approval(awaiting: Path, tmp_path: Path) -> None:
    points, commits = approval_points(awaiting, tmp_path)
    done = parallel(lambda p: crash_an_approval(awaiting, tmp_path, p, commits), points)
    assert len(done) == 2 * commits
    print(f"\napproval crash points: {len(done)} ({commits} commits x 2 phases)")


def test_a_crash_between_the_tuner_and_the_store_during_a_manual_rollback(after_cycle1: Path, tmp_path: Path) -> None:
    """The Tuner went back to the baseline; the commit that records the rollback never happened.

    The restarted engine must put the Tuner forward again (to what the store records), then
    carry out the rollback command still pending.
    """
    ws = copy_ws(after_cycle1, tmp_path / "rollback")
    with IN_PROCESS:
        asyncio.run(Engine(ws).run(until_idle=True, max_cycles=1))  # this cycle applies a change
    store = Store.open(store_dir(ws))
    (exp,) = store.find(Experiment, state="applied")
    # commit 1 sends the command, 2 records the rollback
    done = cli(ws, "rollback", exp.id, "-r", "support tickets up", "-y", env=env_for(ws, **{CRASH_ENV: "2:before"}))
    assert done.returncode == CRASH_EXIT, done.stderr
    with IN_PROCESS:
        assert tuner_active(ws) == exp.baseline_version != store.find(ParameterVersion, active=True)[0].version
        kept = [e.hash for e in store.log()]
        restart(ws)
        check(ws, kept=kept)
    assert store.get(Experiment, exp.id).state == "rolled_back"
    assert tuner_active(ws) == exp.baseline_version
    assert [e.summary for e in store.log(kind="rollback")][-2].startswith("tuner reconciled")


def test_the_crash_hook_is_inert_unless_asked(after_cycle1: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset, nothing changes; a bad value is refused naming the variable; a point past the end is harmless."""
    ws = copy_ws(after_cycle1, tmp_path / "ws")
    assert Store.open(store_dir(ws))._commit_hook is None
    monkeypatch.setenv(CRASH_ENV, "3:sideways")
    with pytest.raises(StoreError, match=CRASH_ENV):
        Store.open(store_dir(ws))
    monkeypatch.setenv(CRASH_ENV, "999999")
    with IN_PROCESS:
        asyncio.run(Engine(ws).run(until_idle=True, max_cycles=0))
        check(ws)
