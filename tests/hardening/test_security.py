"""Who approves, the four-eyes rule on every path, and read-only enforced by the engine.

- The approver is the OS account of the process (pwd), never $USER or $LOGNAME: through the
  CLI when it carries the command out itself and when a running engine does.
- Whoever proposed a change may not approve it: through ``approve()`` in the engine, the CLI,
  and a command record written straight into the store with a forged ``issued_by``.
- A read-only sender is refused before anything is written; a command record that says
  it comes from a read-only session is refused by the engine; ``--read-only`` holds for
  every CLI command, not only the TUI, and such a command opens the store read-only.
- Files keep restrictive modes whatever the umask: a new workspace is 0o700 folders and
  0o600 files throughout (rules, config, store and its lock files, the MaaS's state), with
  no exception; a learning cycle and a rewrite of a rule file keep them; the rewrite is a
  rename (whole or not at all, no temp file left when it fails); a rule file or config its
  owner opened to a group on purpose stays so, and so does a workspace folder they made.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from hardening_invariants import check, tuner_active
from hardening_ws import IN_PROCESS, ME, SPOOFED, cli, env_for, no_traceback

from manager.approvals import ApprovalRefused, approve
from manager.cli import main
from manager.commands import ReadOnly, submit
from manager.engine import Engine
from manager.workspace import store_dir
from store import Store
from store.models import Approval, Campaign, Command, Experiment



def awaiting_experiments(store: Store) -> list[Experiment]:
    exps = store.find(Experiment, state="awaiting_approval")
    assert len(exps) >= 2, [e.id for e in store.all(Experiment)]
    return exps


def spoofed(ws: Path) -> dict[str, str]:
    return env_for(ws, **SPOOFED)


def test_the_approver_is_the_os_account_whatever_user_and_logname_say(awaiting: Path, ws_copy) -> None:
    """The CLI as a process, carrying the approval out itself (no engine runs).

    With an engine running, test_concurrency checks the same for every command it carries out.
    """
    ws = ws_copy(awaiting)
    store = Store.open(store_dir(ws))
    first = awaiting_experiments(store)[0]
    done = cli(ws, "approve", first.id, "-y", env=spoofed(ws))
    assert done.returncode == 0, done.stderr
    no_traceback(done.stderr)
    (answer,) = store.all(Approval)
    assert (answer.experiment_id, answer.approver) == (first.id, ME)
    assert store.all(Command)[-1].issued_by == ME
    names = {e.actor for e in store.log(experiment_id=first.id)}
    assert ME in names and "mallory" not in names, names


def test_four_eyes_holds_on_every_path(awaiting: Path, ws_copy) -> None:
    ws = ws_copy(awaiting)
    store = Store.open(store_dir(ws))
    mine, theirs = awaiting_experiments(store)[:2]
    # ``mine`` was proposed by the person who will try to approve it; ``theirs`` by the Teacher.
    store.update(mine.model_copy(update={"proposed_by": ME}))
    assert theirs.proposed_by == "teacher"
    version = tuner_active(ws)

    # 1. the engine's own approve()
    with IN_PROCESS:
        engine = Engine(ws)
        with engine.store.raw.engine_lock(), pytest.raises(ApprovalRefused, match="four eyes"):
            approve(engine.ctx, mine.id, mine.proposal_hash, ME)
    # 2. the CLI (here it carries the command out itself, as no engine runs)
    done = CliRunner().invoke(main, ["-w", str(ws), "approve", mine.id, "-y"])
    assert done.exit_code == 1 and "four eyes" in done.stderr, done.output
    no_traceback(done.output)
    # 3. command records written straight into the store, signed as the proposer
    forged = [store.insert(Command(verb="approve", issued_by=who, args={
        "experiment_id": exp.id, "proposal_hash": exp.proposal_hash}))
              for exp, who in ((mine, ME), (theirs, "teacher"), (theirs, "  Teacher "))]
    with IN_PROCESS:
        engine = Engine(ws)
        with engine.store.raw.engine_lock():
            engine.process_commands()
    for cmd in forged:
        cmd = store.get(Command, cmd.id)
        assert cmd.state == "refused" and "four eyes" in cmd.result, cmd

    assert store.all(Approval) == []
    assert {e.id: e.state for e in store.all(Experiment) if e.id in (mine.id, theirs.id)} == {
        mine.id: "awaiting_approval", theirs.id: "awaiting_approval"}
    refusals = [e for e in store.log(kind="approval") if "refused" in e.summary]
    assert len(refusals) == 5, [e.summary for e in refusals]
    assert tuner_active(ws) == version
    with IN_PROCESS:
        check(ws)


def test_read_only_is_enforced_by_the_engine_not_only_the_screen(awaiting: Path, ws_copy) -> None:
    ws = ws_copy(awaiting)
    store = Store.open(store_dir(ws))
    exp = awaiting_experiments(store)[0]
    commands, entries = store.count(Command), store.log_count()

    with pytest.raises(ReadOnly):
        submit(ws, "approve", {"experiment_id": exp.id, "proposal_hash": exp.proposal_hash}, read_only=True)
    assert store.count(Command) == commands, "a read-only sender writes nothing"

    store.insert(Command(verb="approve", issued_by="reviewer", args={
        "experiment_id": exp.id, "proposal_hash": exp.proposal_hash, "read_only": True}))
    store.insert(Command(verb="pause", issued_by="reviewer", args={"campaign_id": exp.campaign_id,
                                                                   "read_only": True}))
    with IN_PROCESS:
        engine = Engine(ws)
        with engine.store.raw.engine_lock():
            engine.process_commands()
    for cmd in store.all(Command)[commands:]:
        assert cmd.state == "refused" and "read-only" in cmd.result, cmd

    leftover = store_dir(ws) / "MANIFEST.json.4242.tmp"  # what a crash leaves; any writer's opening sweeps it
    leftover.write_bytes(b"{")
    for args in (["approve", exp.id, "-y"], ["campaign", "pause", exp.campaign_id],
                 ["goal", "add", "-y", "increase recall on preferences by +10%"], ["run", "--until-idle"]):
        done = CliRunner().invoke(main, ["-w", str(ws), "--read-only", *args])
        assert done.exit_code == 1 and "read-only" in done.stderr, (args, done.output)
        no_traceback(done.output)
    assert leftover.exists(), "a read-only command opens the store read-only: no lock taken, nothing swept"

    assert store.count(Command) == commands + 2
    assert store.get(Experiment, exp.id).state == "awaiting_approval"
    assert store.get(Campaign, exp.campaign_id).state == "active"
    assert store.all(Approval) == [] and store.log_count() == entries


def modes(folder: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(folder.stat().st_mode)}
    for path in folder.rglob("*"):
        found[str(path.relative_to(folder))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def not_private(ws: Path, *, except_: dict[str, int] | None = None) -> dict[str, str]:
    """Every folder and file of the workspace (store, locks, rules, config, MaaS) that is not
    0o700 / 0o600, apart from ``except_`` (path -> the mode it must have instead)."""
    expected = dict(except_ or {})
    return {name: oct(mode) for name, mode in modes(ws).items()
            if mode != expected.get(name, 0o700 if (ws / name).is_dir() else 0o600)}


@pytest.fixture
def permissive_umask():
    old = os.umask(0o022)  # modes must come from the code, not from the umask
    yield
    os.umask(old)


def test_files_stay_private_whatever_the_umask(tmp_path: Path, permissive_umask: None) -> None:
    from manager.demo import DEMO_APPROVAL_FACTOR, ask_a_human_for, ensure_workspace
    from manager.workspace import CONFIG_NAME, rules_dir, write_config

    ws = tmp_path / "ws"
    assert ensure_workspace(ws)
    assert {"store/writer.lock", "store/engine.lock", "rules/tests", "workspace.yaml"} <= set(modes(ws))
    assert not not_private(ws)
    assert CliRunner().invoke(main, ["-w", str(ws), "run", "--until-idle", "--cycles", "1", "-q"]).exit_code == 0
    assert (ws / "maas").is_dir() and len(modes(ws)) > 20
    autonomy = rules_dir(ws) / "autonomy.yaml"
    first = autonomy.stat().st_ino
    ask_a_human_for(autonomy, DEMO_APPROVAL_FACTOR)
    assert autonomy.stat().st_ino != first, "a new file renamed over the old one, never a rewrite in place"
    assert not not_private(ws)
    assert not [p.name for p in rules_dir(ws).iterdir() if p.name.endswith(".tmp")]
    written = CliRunner().invoke(main, ["-w", str(ws), "report"])
    assert written.exit_code == 0, written.output
    assert Path(written.output.strip()).parent == ws / "reports"
    assert not not_private(ws)  # the reports folder and the report too

    # a policy owner shares a rule file and the config with a group: the tool's rewrites keep that choice
    os.chmod(autonomy, 0o640)
    os.chmod(ws / CONFIG_NAME, 0o640)
    ask_a_human_for(autonomy, DEMO_APPROVAL_FACTOR)
    write_config(ws)
    assert not not_private(ws, except_={"rules/autonomy.yaml": 0o640, CONFIG_NAME: 0o640})


def test_a_rewrite_of_a_rule_file_that_fails_leaves_the_old_file_whole(
        tmp_path: Path, permissive_umask: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from manager.demo import ask_a_human_for
    from manager.workspace import rules_dir
    from rules import install_defaults, load_rulebook

    install_defaults(rules_dir(tmp_path))
    autonomy = rules_dir(tmp_path) / "autonomy.yaml"
    factor = next(iter(load_rulebook(rules_dir(tmp_path)).autonomy.parameters))
    before, names = autonomy.read_bytes(), sorted(os.listdir(rules_dir(tmp_path)))

    def refuse(src, dst, **kw):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(dst))

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="Read-only file system"):
        ask_a_human_for(autonomy, factor)
    monkeypatch.undo()
    assert autonomy.read_bytes() == before
    assert sorted(os.listdir(rules_dir(tmp_path))) == names, "no temp file left behind"


def test_a_folder_the_owner_made_keeps_its_mode_and_what_the_tool_adds_is_private(
        tmp_path: Path, permissive_umask: None) -> None:
    from manager.demo import ensure_workspace

    ws = tmp_path / "team-ws"
    ws.mkdir(mode=0o750)
    os.chmod(ws, 0o750)
    assert ensure_workspace(ws, demo_campaign=False)
    assert not not_private(ws, except_={".": 0o750})


@pytest.mark.parametrize("links", [True, False], ids=["hard links", "no hard links"])
def test_default_rule_files_are_private_and_never_replace_the_owners(
        tmp_path: Path, permissive_umask: None, monkeypatch: pytest.MonkeyPatch, links: bool) -> None:
    import errno

    from rules import install_defaults

    folder = tmp_path / "rules"
    folder.mkdir(mode=0o755)
    (folder / "targets.yaml").write_text("# the owner's own\n")
    if not links:  # as on a file system without them (some network shares)
        def no_link(src, dst, **kw):
            raise OSError(errno.EPERM, os.strerror(errno.EPERM), str(dst))

        monkeypatch.setattr(os, "link", no_link)
    install_defaults(folder)
    assert (folder / "targets.yaml").read_text() == "# the owner's own\n"
    assert not not_private(folder, except_={".": 0o755, "targets.yaml": 0o644})
    assert {"autonomy.yaml", "tests"} <= set(os.listdir(folder))
    assert not [name for name in os.listdir(folder) if name.startswith(".")]  # no temp file left
