"""The engine killed between two interim looks of an A/B (rules: methodology.ab_looks).

A process runs the demo's cycles with the embedded MaaS, its emulator ending the process
(``os._exit``) the moment it is asked for the second part of a variant batch: the first look
was inconclusive, its task is done, the experiment is running and the second look's task has
just started. After a restart every invariant of ``hardening_invariants`` holds (nothing is
left running, nothing was applied), and learning goes on.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from hardening_invariants import check, restart
from hardening_ws import IN_PROCESS, env_for

from manager.engine import Engine
from manager.workspace import store_dir
from store import Store
from store.models import Experiment, Task

KILLED = 86
SCRIPT = """
import asyncio, os, sys
from pathlib import Path
from manager.adapters import load_maas
from manager.engine import Engine
from manager.workspace import load_config

class DiesAtTheSecondLook:
    def __init__(self, inner):
        self.inner = inner

    def run_batch(self, params, n, seed, progress=None, start=0):
        if start:
            os._exit(%d)
        return self.inner.run_batch(params, n, seed, progress)

ws = Path(sys.argv[1])
config = load_config(ws)
maas = load_maas(config.maas.factory, ws, config.maas.options)
maas = maas.model_copy(update={"emulator": DiesAtTheSecondLook(maas.emulator)})
asyncio.run(Engine(ws, maas=maas).run(until_idle=True, max_cycles=int(sys.argv[2])))
""" % KILLED


def test_a_crash_between_two_looks_leaves_nothing_running_after_recovery(after_cycle1: Path, ws_copy) -> None:
    ws = ws_copy(after_cycle1)
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(ws), "6"], env=env_for(ws), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == KILLED, f"no A/B went past its first look in 6 cycles: {done.returncode} {done.stderr}"
    with IN_PROCESS:
        store = Store.open(store_dir(ws))
        (exp,) = store.find(Experiment, state="running")
        looks = [(t.title.rsplit(", ", 1)[-1], t.state) for t in store.find(Task, ref=exp.id)
                 if t.title.startswith("Variant batch")]
        assert looks == [("dialogues 1-10 of 30", "completed"), ("dialogues 11-20 of 30", "running")]
        kept = [e.hash for e in store.log()]
        restart(ws)
        observed = check(ws, kept=kept)
        assert Store.open(store_dir(ws)).get(Experiment, exp.id).state == "failed"
        asyncio.run(Engine(ws).run(until_idle=True, max_cycles=1))
        check(ws, kept=[e.hash for e in observed.log])
