"""A crash on request at the Nth commit of a process, for crash harnesses (tests only).

``MAAS_MANAGER_CRASH_AT_COMMIT=N`` (or ``N:after``) ends the process with
``os._exit(CRASH_EXIT)`` right after the Nth commit of the process replaced
MANIFEST.json: the commit is durable, the files it superseded are still there.
``N:before`` ends it just before that replace: the new partitions and a temp
manifest are written, the commit is lost. Commits are counted over every store
the process opens. When the variable is unset (always, outside the harness) a
store pays one environment lookup when it is opened, and nothing per commit.
"""

from __future__ import annotations

import itertools
import os
from typing import Callable

from store.errors import StoreError

CRASH_ENV = "MAAS_MANAGER_CRASH_AT_COMMIT"
CRASH_EXIT = 86  # the exit status that says "crashed on purpose"
# phase -> the commit step (see Store._commit) at which the process dies
PHASES = {"before": "manifest-written", "after": "manifest-replaced"}
FIRST_STEP = "partitions-written"  # every commit passes here first

_commits = itertools.count(1)  # shared by every store of the process


def parse(spec: str) -> tuple[int, str]:
    number, _, phase = spec.strip().partition(":")
    phase = phase or "after"
    if not number.isdigit() or int(number) < 1 or phase not in PHASES:
        raise StoreError(f"{CRASH_ENV}={spec!r}: expected N or N:before or N:after, N >= 1")
    return int(number), phase


def hook_from_env() -> Callable[[str], None] | None:
    """The commit hook the environment asks for, or None."""
    spec = os.environ.get(CRASH_ENV)
    if not spec:
        return None
    at, phase = parse(spec)
    step_to_die = PHASES[phase]
    current = [0]

    def hook(step: str) -> None:
        if step == FIRST_STEP:
            current[0] = next(_commits)
        elif step == step_to_die and current[0] == at:
            os._exit(CRASH_EXIT)

    return hook
