"""durable-rules, held the way it was measured to be safe (DESIGN.md).

- Host API, not the global DSL, so that many evaluators live in one process; the
  Host's background dispatch threads are not started: every action runs inside the
  call that asserted its fact, so a firing cannot be picked up by another thread.
- Each ruleset gets a unique name, is given a deep copy of its definition, and its C
  memory (~0.3 MB) is freed when the compiled ruleset is garbage collected.
- One fixed session; facts are asserted one by one (a batch with one unmatched fact
  raises before its actions run) and all retracted afterwards.
- Actions only record what fired; anything they raise is collected and re-raised,
  never left swallowed in the session state.
"""

from __future__ import annotations

import copy
import itertools
import threading
import uuid
import weakref
from dataclasses import dataclass
from typing import Any, Callable

import durable_rules_engine
from durable.engine import Host, MessageNotHandledException, MessageObservedException

from rules.compiler import Rule, action_name, definition
from rules.errors import EngineError
from rules.facts import Fact

SESSION = "evaluation"


@dataclass(frozen=True)
class Firing:
    """One alternative of one rule held for these facts (ids, in the order asserted)."""

    rule_index: int
    conjunct_index: int
    fact_ids: tuple[str, ...]


class _SyncHost(Host):
    """A Host without background dispatch: actions run in the asserting call only."""

    def __init__(self, actions: dict[str, Callable[[Any], None]]) -> None:
        self._actions = actions
        super().__init__()

    def _run(self) -> None:  # no timer threads
        pass

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        return self._actions[action_name]


class _Recorder:
    def __init__(self) -> None:
        self.firings: list[Firing] = []
        self.errors: list[BaseException] = []

    def action(self, rule_index: int, conjunct_index: int, join: bool) -> Callable[[Any], None]:
        def run(c: Any) -> None:
            try:
                ids = (c.p["id"], c.a["id"]) if join else (c.m["id"],)
                self.firings.append(Firing(rule_index, conjunct_index, tuple(str(i) for i in ids)))
            except BaseException as exc:  # durable-rules would swallow it
                self.errors.append(exc)

        return run


_serial = itertools.count()


class CompiledRuleset:
    """Rules compiled into one durable-rules ruleset; ``run`` is thread-safe."""

    def __init__(self, rules: list[Rule], label: str) -> None:
        self.rules = rules
        self.definition = definition(rules)
        self.name = f"maas_{label}_{next(_serial)}_{uuid.uuid4().hex[:12]}"
        self._lock = threading.Lock()
        self._recorder = _Recorder()
        self._host: _SyncHost | None = None
        if not self.definition:
            return
        actions: dict[str, Callable[[Any], None]] = {}
        for ri, rule in enumerate(rules):
            for ci in range(1 if rule.join else len(rule.conjuncts)):
                actions[action_name(ri, ci)] = self._recorder.action(ri, ci, rule.join)
        host = _SyncHost(actions)
        try:
            host.set_rulesets({self.name: copy.deepcopy(self.definition)})
        except Exception as exc:
            raise EngineError(f"durable-rules refused the compiled rules: {exc}") from exc
        handle = host.get_ruleset(self.name)._handle
        weakref.finalize(self, durable_rules_engine.delete_ruleset, handle)
        self._host = host

    def run(self, facts: list[Fact]) -> list[Firing]:
        """Every alternative that held, sorted by rule, alternative and fact order."""
        if self._host is None or not facts:
            return []
        order = {fact.id: index for index, fact in enumerate(facts)}
        with self._lock:
            self._recorder.firings = []
            self._recorder.errors = []
            asserted: list[dict[str, Any]] = []
            try:
                for fact in facts:
                    message = dict(fact.encoded(), sid=SESSION)
                    try:
                        self._host.assert_fact(self.name, message)
                    except MessageNotHandledException:
                        continue  # no rule looks at it
                    asserted.append(message)
            except MessageObservedException as exc:
                raise EngineError(f"a fact was still asserted from an earlier evaluation: {exc.message}") from exc
            except Exception as exc:
                raise EngineError(f"durable-rules failed: {exc}") from exc
            finally:
                for message in asserted:
                    try:
                        self._host.retract_fact(self.name, message)
                    except MessageNotHandledException:
                        pass
            if self._recorder.errors:
                raise EngineError(f"a rule action failed: {self._recorder.errors[0]!r}")
            firings = list(self._recorder.firings)
        return sorted(firings, key=lambda f: (f.rule_index, f.conjunct_index, [order.get(i, 0) for i in f.fact_ids]))

    def leftover_facts(self) -> list[dict[str, Any]]:
        """Facts still held by the session (for tests: must be empty between evaluations)."""
        if self._host is None:
            return []
        with self._lock:
            try:
                return self._host.get_facts(self.name, SESSION)
            except Exception:
                return []
