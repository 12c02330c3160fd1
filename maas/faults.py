"""Adapter faults on request, for testing how the Manager copes with a broken MaaS.

Only used when the workspace config asks for them (option ``fault``); never on the default
path. ``raise`` makes the call fail, ``hang`` makes it block for ``hang_s`` seconds before
failing, ``malformed`` makes it return data that does not fit the port's models.
"""

from __future__ import annotations

import time
from typing import Any

FAULTS = ("raise", "hang", "malformed")
TARGETS = ("emulator", "teacher", "tuner")

_MALFORMED = {
    "run_batch": {"id": 7, "events": "not a list"},
    "judge": {"metrics": {"hallucination_rate": "lots"}},
    "validate_on_golden": {"metrics": None},
    "propose": {"factor": None},
    "verdict": {"outcome": "maybe"},
    "design_experiments": "not a list",
    "factors": [{"name": "top_k"}],
    "active": {"id": None},
    "prepare_variant": {"params": "none"},
    "apply": {"id": None},
    "rollback": {"id": None},
}


class InjectedFault(RuntimeError):
    pass


class Faulty:
    """Wraps one module; every public method misbehaves the way ``fault`` says."""

    def __init__(self, inner: Any, fault: str, hang_s: float) -> None:
        self._inner = inner
        self._fault = fault
        self._hang_s = hang_s

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name.startswith("_") or not callable(attr):
            return attr

        def broken(*args: Any, **kwargs: Any) -> Any:
            if self._fault == "hang":
                time.sleep(self._hang_s)
                raise InjectedFault(f"injected fault: {name} hung for {self._hang_s}s")
            if self._fault == "malformed":
                return _MALFORMED.get(name, {"malformed": True})
            raise InjectedFault(f"injected fault: {name} failed")

        return broken
