"""The embedded MaaS with one port call misbehaving, for the adapter-fault tests.

``maas.faults`` breaks every call of a module; this breaks one, so that a cycle gets as far
as that call. Faults:

  raise           the call fails; nothing happened
  hang            the call blocks past the engine's timeout, then fails; nothing happened
  malformed       the call returns data that fits no port model; nothing happened
  done-malformed  the call does its work, then returns garbage (a tuner that applied and
                  answered badly)
  late            the call blocks past the timeout, then does its work (a slow remote tuner)
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from maas.embedded import build as build_embedded
from manager.ports import MaaS

FAULTS = ("raise", "hang", "malformed", "done-malformed", "late")


class OneCallFaulty:
    def __init__(self, inner: Any, method: str, fault: str, hang_s: float) -> None:
        self._inner, self._method, self._fault, self._hang_s = inner, method, fault, hang_s
        self.done = threading.Event()  # set when a late or done-malformed call has done its work

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name != self._method:
            return attr

        def broken(*args: Any, **kwargs: Any) -> Any:
            if self._fault in ("hang", "late"):
                time.sleep(self._hang_s)
            if self._fault in ("raise", "hang"):
                raise RuntimeError(f"injected fault: {name} failed")
            if self._fault == "malformed":
                return {"id": None, "params": "garbage"}
            result = attr(*args, **kwargs)
            self.done.set()
            return None if self._fault == "done-malformed" else result

        return broken


def build(workspace: Path, role: str, method: str, fault: str, hang_s: float = 2.0) -> tuple[MaaS, OneCallFaulty]:
    assert fault in FAULTS, fault
    maas = build_embedded(workspace, {})
    modules = {"teacher": maas.teacher, "emulator": maas.emulator, "tuner": maas.tuner}
    faulty = OneCallFaulty(modules[role], method, fault, hang_s)
    modules[role] = faulty
    return MaaS(**modules), faulty
