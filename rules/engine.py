"""durable-rules, held the way it was measured to be safe and fast (DESIGN.md).

- The ruleset is created in durable-rules' engine (``durable_rules_engine``, the Rete
  core under ``durable.engine.Host``) and driven with the same calls the Host makes;
  the Host's Python layer is skipped because it costs more than the matching
  (a Closure, a Promise, a state write-back and a JSON dump per firing, a JSON dump
  per unmatched fact) and it refuses a batch when one fact matches no rule.
- Each ruleset gets a unique name; its C memory (~0.3 MB) is freed when the
  compiled ruleset is garbage collected.
- One fixed session. An evaluation is three engine calls plus one per firing: the
  facts go in as one batch (facts no rule matches are not stored, and the others
  still fire), every queued firing is taken and completed, and the same batch is
  retracted, so no fact outlives its evaluation. An evaluation that fails half-way
  empties the session before it raises (or, failing that, before the next one runs).
- Facts carry only the fields some rule compares; the rest cannot change a match.
- Firings are only recorded; nothing runs inside the engine, so nothing raised in
  an action can be swallowed into the session state.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import uuid
import weakref
from typing import Any, NamedTuple

import durable_rules_engine

from rules.compiler import Rule, action_name, definition, fields_tested
from rules.errors import EngineError
from rules.facts import Fact

SESSION = "evaluation"
OBSERVED = 2  # durable-rules' result code of assert_facts: a fact with this id is held already
MAX_DRAINED = 100_000  # firings dropped at most when clearing a failed evaluation

# One encoder for every call (json.dumps builds a new one per call when given options);
# non-ASCII text is sent as is, as durable.engine does, so it equals the rule's constants.
_to_json = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode


# A firing of a one-fact rule starts with the action's name and the fact's id (sent first);
# ids and action names are plain words, so this prefix is unambiguous JSON. Anything else is parsed.
_ONE_FACT = re.compile(r'\{"(\w+)":\{"m":\{"id":"(\w+)",')


class Firing(NamedTuple):
    """One alternative of one rule held for these facts (ids, in the order asserted)."""

    rule_index: int
    conjunct_index: int
    fact_ids: tuple[str, ...]


_serial = itertools.count()


class CompiledRuleset:
    """Rules compiled into one durable-rules ruleset; ``run`` is thread-safe."""

    def __init__(self, rules: list[Rule], label: str) -> None:
        self.rules = rules
        self.definition = definition(rules)
        self.name = f"maas_{label}_{next(_serial)}_{uuid.uuid4().hex[:12]}"
        self._lock = threading.Lock()
        self._handle: int | None = None
        self._state: int | None = None  # the session's offset in durable-rules, known after the first assert
        self._dirty = False  # a failed evaluation may have left facts or firings behind
        self._actions: dict[str, tuple[int, int, bool]] = {}
        self._fields = fields_tested(rules)
        if not self.definition:
            return
        for ri, rule in enumerate(rules):
            for ci in range(1 if rule.join else len(rule.conjuncts)):
                self._actions[action_name(ri, ci)] = (ri, ci, rule.join)
        body = {name: {k: v for k, v in entry.items() if k != "run"} for name, entry in self.definition.items()}
        try:
            handle = durable_rules_engine.create_ruleset(self.name, _to_json(body))
        except Exception as exc:
            raise EngineError(f"durable-rules refused the compiled rules: {exc}") from exc
        weakref.finalize(self, durable_rules_engine.delete_ruleset, handle)
        self._handle = handle

    def run(self, facts: list[Fact]) -> list[Firing]:
        """Every alternative that held, sorted by rule, alternative and fact order."""
        handle = self._handle
        fields = self._fields
        sent = [fact.encoded(SESSION, fields[fact.kind.name]) for fact in facts if fact.kind.name in fields]
        if handle is None or not sent:
            return []
        batch = _to_json(sent)
        firings: list[Firing] = []
        errors: list[BaseException] = []
        with self._lock:
            if self._dirty:
                self._clear()
            try:
                code, self._state = durable_rules_engine.assert_facts(handle, batch)
                started = durable_rules_engine.start_action_for_state(handle, self._state)
                message = None if started is None else started[1]
                while message is not None:
                    self._record(message, firings, errors)
                    message = durable_rules_engine.complete_and_start_action(handle, self._state)
                durable_rules_engine.retract_facts(handle, batch)
            except BaseException as exc:
                self._dirty = True
                self._clear(quietly=True)
                if isinstance(exc, Exception):
                    raise EngineError(f"durable-rules failed: {exc}") from exc
                raise
            ids = {fact["id"] for fact in sent}
            foreign = code == OBSERVED or any(i not in ids for f in firings for i in f.fact_ids)
            if foreign:  # facts this evaluation did not assert took part: the answer is not its own
                self._dirty = True
                self._clear(quietly=True)
                raise EngineError("a fact was still asserted from an earlier evaluation")
        if errors:
            raise EngineError(f"a firing could not be read: {errors[0]!r}")
        if len(firings) < 2:
            return firings
        order = {fact.id: index for index, fact in enumerate(facts)}
        return sorted(firings, key=lambda f: (f.rule_index, f.conjunct_index, [order.get(i, 0) for i in f.fact_ids]))

    def _clear(self, quietly: bool = False) -> None:
        """Empty the session after a failed evaluation: finish every firing started or queued
        (dropping it), then retract every fact held. Releasing a started firing instead
        (``abandon_action``) and then retracting its fact crashes durable-rules."""
        handle, state = self._handle, self._state
        try:
            if state is not None:
                for _ in range(MAX_DRAINED):
                    try:
                        if durable_rules_engine.complete_and_start_action(handle, state) is None:
                            break
                    except durable_rules_engine.error:  # nothing started or queued
                        break
            held = self._held()
            if held != "[]":
                durable_rules_engine.retract_facts(handle, held)
            if self._held() != "[]":
                raise EngineError("durable-rules kept facts of a failed evaluation")
        except Exception as exc:
            if quietly:
                return  # still dirty: the next evaluation tries again, and says so if it cannot
            if isinstance(exc, EngineError):
                raise
            raise EngineError(f"durable-rules could not clear a failed evaluation: {exc}") from exc
        self._dirty = False

    def _held(self) -> str:
        """The facts the session holds, as JSON; none when no evaluation ever started it."""
        try:
            return durable_rules_engine.get_facts(self._handle, SESSION)
        except durable_rules_engine.error:
            if self._state is None:  # the session does not exist yet
                return "[]"
            raise

    def _record(self, message: str, firings: list[Firing], errors: list[BaseException]) -> None:
        # never raises: a firing that was started must be completed, or it stays queued
        try:
            head = _ONE_FACT.match(message)  # {"<action>":{"m":{"id":"<id>",...: no need to parse the rest
            if head is not None and not self._actions[head[1]][2]:
                rule_index, conjunct_index, _ = self._actions[head[1]]
                firings.append(Firing(rule_index, conjunct_index, (head[2],)))
                return
            (name, matched), = json.loads(message).items()
            rule_index, conjunct_index, join = self._actions[name]
            ids = (matched["p"]["id"], matched["a"]["id"]) if join else (matched["m"]["id"],)
            firings.append(Firing(rule_index, conjunct_index, tuple(str(i) for i in ids)))
        except Exception as exc:
            errors.append(exc)

    def leftover_facts(self) -> list[dict[str, Any]]:
        """Facts still held by the session (for tests: must be empty between evaluations)."""
        if self._handle is None:
            return []
        with self._lock:
            try:
                return json.loads(durable_rules_engine.get_facts(self._handle, SESSION))
            except Exception:
                return []
