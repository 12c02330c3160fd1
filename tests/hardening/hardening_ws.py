"""Workspaces and processes for the hardening tests: demo copies, rule edits, CLI runs."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

from ruamel.yaml import YAML

from manager.workspace import CONFIG_NAME, rules_dir, store_dir

HERE = Path(__file__).resolve().parent
ME = pwd.getpwuid(os.geteuid()).pw_name  # the OS account: who the Manager says is acting
SPOOFED = {"USER": "mallory", "LOGNAME": "mallory", "USERNAME": "mallory"}  # what a sender may claim
CLI = [sys.executable, "-m", "manager.cli"]
TRACE = [sys.executable, str(HERE / "commit_trace.py")]
T = TypeVar("T")
R = TypeVar("R")

# Engines, rule compilation and the embedded MaaS in *this* process run one at a time;
# the subprocesses of a harness run in parallel around them.
IN_PROCESS = threading.Lock()


def make_demo(path: Path, *, level: str | None = "auto") -> Path:
    """The demo workspace (embedded MaaS, default rules, one campaign); every factor at ``level``."""
    from manager.demo import ensure_workspace

    ensure_workspace(path)
    if level is not None:
        set_autonomy(path, level)
    return path


def set_autonomy(ws: Path, level: str) -> None:
    """Every parameter of the workspace's autonomy rules at one level (auto | approval | never)."""
    path = rules_dir(ws) / "autonomy.yaml"
    yaml = YAML()
    data = yaml.load(path.read_text(encoding="utf-8"))
    for spec in data["autonomy"]["parameters"].values():
        spec["level"] = level
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(data, out)


def configure(ws: Path, *, engine: dict[str, Any] | None = None, maas_options: dict[str, Any] | None = None) -> None:
    """Change workspace.yaml: engine settings and the MaaS factory's options."""
    path = ws / CONFIG_NAME
    yaml = YAML()
    data = yaml.load(path.read_text(encoding="utf-8"))
    if engine:
        data["engine"].update(engine)
    if maas_options is not None:
        data["maas"]["options"] = dict(maas_options)
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(data, out)


def copy_ws(template: Path, dest: Path) -> Path:
    """A private copy of a workspace (store, rules, the embedded tuner's versions)."""
    shutil.copytree(template, dest, ignore=shutil.ignore_patterns("*.lock"))
    return dest


def env_for(ws: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAAS_MANAGER_")}
    env.update(MAAS_MANAGER_WORKSPACE=str(ws), **extra)
    return env


def cli(ws: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 180,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``maas-manager -w WS ARGS`` as a real process."""
    return subprocess.run(CLI + ["-w", str(ws), *args], env=env or env_for(ws), capture_output=True, text=True,
                          timeout=timeout, input=stdin)


def start_cli(ws: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(CLI + ["-w", str(ws), *args], env=env or env_for(ws), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def trace_engine(ws: Path, trace: Path, *, cycles: int) -> list[dict[str, int]]:
    """Run the engine like ``run_engine`` and return what the store held after each commit."""
    done = subprocess.run(TRACE + [str(trace), "--", "-w", str(ws), "run", "--until-idle", "-q", "--cycles",
                                   str(cycles)], env=env_for(ws), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]


def manifest_generation(ws: Path) -> int:
    """The store's commit count, read without opening the store (no lock, no sweep)."""
    for _ in range(20):
        try:
            return int(json.loads((store_dir(ws) / "MANIFEST.json").read_bytes())["generation"])
        except (OSError, ValueError, KeyError):
            time.sleep(0.01)  # mid-replace on a slow disk; read again
    raise AssertionError(f"cannot read {store_dir(ws) / 'MANIFEST.json'}")


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


def parallel(fn: Callable[[T], R], items: Iterable[T], workers: int | None = None) -> list[R]:
    """``fn`` over ``items`` on a few threads (each mostly waits on a subprocess)."""
    items = list(items)
    with ThreadPoolExecutor(max_workers=workers or max(2, os.cpu_count() or 2)) as pool:
        return list(pool.map(fn, items))


def no_traceback(*streams: str) -> None:
    for text in streams:
        for marker in ("Traceback", "JSONDecodeError", "UnicodeDecodeError", "StoreCorrupt"):
            assert marker not in text, text


def refused_run(ws: Path, *, as_process: bool) -> str:
    """``run`` for one cycle, which must be refused: exit code 1 and no traceback; its stderr.

    As a real process, or (faster) through click's runner in this one.
    """
    args = ["run", "--until-idle", "--cycles", "1", "-q"]
    if as_process:
        done = cli(ws, *args)
        code, err = done.returncode, done.stderr
    else:
        from click.testing import CliRunner

        from manager.cli import main

        result = CliRunner().invoke(main, ["-w", str(ws), *args])
        code, err = result.exit_code, result.stderr
    assert code == 1, err
    no_traceback(err)
    return err
