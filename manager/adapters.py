"""Loading a MaaS by import path and guarding every call across the ports.

Each call runs with a timeout, and what comes back is validated against the
port's model: a failing, hanging or malformed adapter becomes an
``AdapterError`` that names the module and the call, never a half-applied step.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import inspect
import threading
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, ValidationError

from manager.ports import (
    Batch,
    ExperimentDesign,
    FactorSpec,
    Hypothesis,
    Judgement,
    MaaS,
    ParamVersion,
    Verdict,
)


class AdapterError(RuntimeError):
    """A Teacher, Emulator or Tuner call failed, hung or returned malformed data."""

    def __init__(self, role: str, call: str, problem: str) -> None:
        super().__init__(f"{role}.{call}: {problem}")
        self.role, self.call, self.problem = role, call, problem


def load_maas(factory: str, workspace: Path, options: dict[str, Any] | None = None) -> MaaS:
    """Import ``module:function`` and build the MaaS of this workspace."""
    module_name, _, attr = factory.partition(":")
    if not module_name or not attr:
        raise AdapterError("maas", "factory", f"{factory!r} is not of the form 'module:function'")
    try:
        builder = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise AdapterError("maas", "factory", f"cannot import {factory!r}: {exc}") from exc
    try:
        maas = builder(workspace, options or {})
    except Exception as exc:  # the user's factory: report, do not crash the Manager
        raise AdapterError("maas", "factory", f"{factory!r} raised {type(exc).__name__}: {exc}") from exc
    if not isinstance(maas, MaaS):
        raise AdapterError("maas", "factory", f"{factory!r} returned {type(maas).__name__}, expected manager.ports.MaaS")
    return maas


def _validated(role: str, call: str, value: Any, model: Any) -> Any:
    """Check a port's return value; ``model`` is a pydantic type, list[type] or (type, None)."""
    try:
        if isinstance(model, tuple):  # optional
            return None if value is None else _validated(role, call, value, model[0])
        if isinstance(model, list):
            if not isinstance(value, list):
                raise TypeError(f"expected a list, got {type(value).__name__}")
            return [_validated(role, call, item, model[0]) for item in value]
        if isinstance(value, model):
            return model.model_validate(value.model_dump())
        if isinstance(value, (dict, BaseModel)):
            return model.model_validate(value if isinstance(value, dict) else value.model_dump())
        raise TypeError(f"expected {model.__name__}, got {type(value).__name__}")
    except (ValidationError, TypeError) as exc:
        raise AdapterError(role, call, f"malformed result: {exc}") from exc


RESULTS: dict[tuple[str, str], Any] = {
    ("emulator", "run_batch"): Batch,
    ("teacher", "judge"): Judgement,
    ("teacher", "validate_on_golden"): Judgement,
    ("teacher", "propose"): (Hypothesis, None),
    ("teacher", "verdict"): Verdict,
    ("teacher", "design_experiments"): [ExperimentDesign],
    ("tuner", "factors"): [FactorSpec],
    ("tuner", "active"): ParamVersion,
    ("tuner", "prepare_variant"): ParamVersion,
    ("tuner", "apply"): ParamVersion,
    ("tuner", "rollback"): ParamVersion,
}


class GuardedPorts:
    """Calls the MaaS modules with a timeout and validates what they return.

    Each call runs on its own daemon thread: a hung adapter is abandoned, and it
    never keeps the process from exiting.
    """

    def __init__(self, maas: MaaS, timeout_s: float) -> None:
        self._modules = {"teacher": maas.teacher, "emulator": maas.emulator, "tuner": maas.tuner}
        self.timeout_s = timeout_s

    def call(self, role: str, call: str, *args: Any, timeout_s: float | None = None, **kwargs: Any) -> Any:
        module = self._modules[role]
        fn: Callable[..., Any] | None = getattr(module, call, None)
        if fn is None:
            raise AdapterError(role, call, f"{type(module).__name__} has no method {call!r}")
        limit = timeout_s or self.timeout_s
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def work() -> None:
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # handed to the caller below
                future.set_exception(exc)

        threading.Thread(target=work, name=f"port-{role}.{call}", daemon=True).start()
        try:
            value = future.result(timeout=limit)
        except concurrent.futures.TimeoutError as exc:
            raise AdapterError(role, call, f"no answer within {limit:g} s") from exc
        except AdapterError:
            raise
        except Exception as exc:
            raise AdapterError(role, call, f"raised {type(exc).__name__}: {exc}") from exc
        return _validated(role, call, value, RESULTS[(role, call)])

    def accepts(self, role: str, call: str, parameter: str) -> bool:
        """Whether the adapter's ``call`` takes ``parameter`` by name (or any keyword).

        Optional parameters added to a port after an adapter was written (``start`` of
        ``run_batch``) are passed only when this says yes.
        """
        fn = getattr(self._modules[role], call, None)
        if fn is None:
            return False
        try:
            params = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):  # no signature to read (a C function, a proxy): assume the old port
            return False
        return any((p.name == parameter and p.kind is not p.POSITIONAL_ONLY) or p.kind is p.VAR_KEYWORD
                   for p in params)

    def close(self) -> None:
        """Nothing to release: calls own their threads."""
