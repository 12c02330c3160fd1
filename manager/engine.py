"""The engine: one per workspace. Runs campaigns' learning cycles as asynchronous
tasks, carries out commands from other processes, reloads rule files, and on
start puts right whatever a crash left behind.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any, Callable

from manager import journal
from manager.adapters import AdapterError, GuardedPorts, load_maas
from manager.context import Context, EngineEvent, LockedStore, Stopped
from manager.ports import MaaS
from manager.workspace import load_config, open_store, rules_dir
from rules import RuleSource
from state_machines import (
    CycleLifecycle,
    ExperimentLifecycle,
    TaskLifecycle,
    EXPERIMENT_TRANSIENT,
    CYCLE_TRANSIENT,
    TASK_TRANSIENT,
)
from store import NotFound
from store.models import Campaign, Command, Cycle, Experiment, ParameterVersion, Task


class Engine:
    def __init__(
        self,
        workspace: Path,
        *,
        maas: MaaS | None = None,
        on_event: Callable[[EngineEvent], None] | None = None,
    ) -> None:
        self.workspace = workspace
        config = load_config(workspace)
        store = open_store(workspace)
        rules_path = rules_dir(workspace)
        rules = RuleSource(rules_path if rules_path.exists() else None)
        if rules.rulebook is None:
            raise RuntimeError("no valid rule files: " + "; ".join(str(e) for e in rules.errors))
        maas = maas or load_maas(config.maas.factory, workspace, config.maas.options)
        self.ctx = Context(
            workspace=workspace,
            config=config,
            store=LockedStore(store),
            rules=rules,
            ports=GuardedPorts(maas, config.engine.adapter_timeout_s),
            emit=self._emit,
        )
        self._listeners: list[Callable[[EngineEvent], None]] = [on_event] if on_event else []
        self._running: dict[str, asyncio.Task[str]] = {}
        self._rules_seen = self._rules_stamp()
        self.cycles_run = 0

    # --- events -------------------------------------------------------------

    def subscribe(self, listener: Callable[[EngineEvent], None]) -> None:
        self._listeners.append(listener)

    def _emit(self, event: EngineEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken listener must not stop learning
                pass

    # --- lifecycle ------------------------------------------------------------

    @property
    def store(self) -> LockedStore:
        return self.ctx.store

    def stop(self) -> None:
        """Ask every cycle to end at its next step; nothing is left half-applied."""
        self.ctx.stop.set()

    async def run(self, *, until_idle: bool = False, max_cycles: int | None = None) -> None:
        """Run until stopped (or, with ``until_idle``, until nothing is left to do)."""
        with self.store.raw.engine_lock():
            self.ctx.stop.clear()
            try:
                await asyncio.to_thread(self.recover)
            except AdapterError as exc:  # the tuner cannot say where it is: cycles would build on a guess
                self._log("error", f"engine not started: {exc}", reason=str(exc))
                raise
            self._log("engine", "engine started")
            try:
                await self._loop(until_idle=until_idle, max_cycles=max_cycles)
            finally:
                self.ctx.stop.set()
                if self._running:
                    await asyncio.gather(*self._running.values(), return_exceptions=True)
                self._running.clear()
                try:  # cycles that stopped at a step boundary leave nothing transient behind
                    await asyncio.to_thread(self.recover_campaigns, reason="the engine stopped")
                except Exception:  # best effort: the next start recovers too
                    pass
                self._log("engine", "engine stopped")
                self._emit(EngineEvent("stopped", "engine stopped"))
                self.ctx.ports.close()

    async def _loop(self, *, until_idle: bool, max_cycles: int | None) -> None:
        interval = self.ctx.config.engine.poll_interval_s
        while not self.ctx.stop.is_set():
            await asyncio.to_thread(self.process_commands)
            await asyncio.to_thread(self.reload_rules_if_changed)
            for cid, task in list(self._running.items()):
                if task.done():
                    del self._running[cid]
                    self.cycles_run += 1
                    if task.exception() and not isinstance(task.exception(), Stopped):
                        await asyncio.to_thread(self._cycle_failed, cid, task.exception())
            if max_cycles is not None and self.cycles_run >= max_cycles and not self._running:
                return
            for campaign in await asyncio.to_thread(self.runnable_campaigns):
                if campaign.id not in self._running and (max_cycles is None or self.cycles_run + len(self._running) < max_cycles):
                    self._running[campaign.id] = asyncio.create_task(asyncio.to_thread(self._one_cycle, campaign.id))
            if until_idle and not self._running and not await asyncio.to_thread(self.runnable_campaigns):
                if not await asyncio.to_thread(self.store.find, Command, state="pending"):
                    return
            if self._running:
                await asyncio.wait(list(self._running.values()), timeout=interval)
            else:
                await asyncio.sleep(interval)

    def _one_cycle(self, campaign_id: str) -> str:
        from manager.learning import run_cycle

        return run_cycle(self.ctx, campaign_id)

    def runnable_campaigns(self) -> list[Campaign]:
        """Active campaigns not blocked on a human, within the parallel limit."""
        limit = self.ctx.rules.rulebook.autonomy.max_parallel_experiments
        waiting = {e.campaign_id for e in self.store.find(Experiment, state="awaiting_approval")}
        out = [c for c in self.store.find(Campaign, state="active") if c.id not in waiting]
        return out[: max(1, limit)]

    def _cycle_failed(self, campaign_id: str, exc: BaseException) -> None:
        text = f"{type(exc).__name__}: {exc}"
        self.reconcile_after_failure()
        self.recover_campaign(campaign_id, reason=f"cycle failed: {text}")
        self._log("error", f"{campaign_id}: cycle failed: {text}", campaign_id=campaign_id)
        self._emit(EngineEvent("error", f"cycle failed: {text}", campaign_id))
        if isinstance(exc, AdapterError):
            # An adapter fault pauses the campaign: retrying blindly would repeat it.
            from manager.campaigns import set_campaign_state

            campaign = self.store.get(Campaign, campaign_id)
            if campaign.state == "active":
                set_campaign_state(self.ctx, campaign_id, "pause", actor="manager", reason=text)

    def _log(self, kind: str, summary: str, **kw: Any) -> None:
        self.store.append_log(journal.entry(kind, summary, **kw))

    # --- recovery ---------------------------------------------------------------

    def recover(self) -> None:
        """Put right what a crash or a stop left: transient states, tuner drift."""
        self.store.check_files()  # a broken store stops the start before anything is written
        # Found by state, not by reading every record: a start must not cost all history.
        for task in self._in_states(Task, TASK_TRANSIENT):
            TaskLifecycle(task, save=self.store.update).trigger(
                "fail", changes={"error": "interrupted: the engine stopped"})
        self.recover_campaigns(reason="interrupted: the engine stopped")
        self.reconcile_tuner()

    def recover_campaigns(self, *, reason: str) -> None:
        """``recover_campaign`` for each campaign that has something left in a transient state."""
        stuck = {r.campaign_id for model, states in ((Experiment, EXPERIMENT_TRANSIENT), (Task, TASK_TRANSIENT),
                                                     (Cycle, CYCLE_TRANSIENT)) for r in self._in_states(model, states)}
        # In id order, as reading every campaign would give; elsewhere there is nothing to do.
        for campaign_id in sorted((c for c in stuck if c), key=lambda c: (len(c), c)):
            if self._exists(Campaign, campaign_id):
                self.recover_campaign(campaign_id, reason=reason)

    def _exists(self, model: type, record_id: str) -> bool:
        try:
            self.store.get(model, record_id)
        except NotFound:
            return False
        return True

    def _in_states(self, model: type, states: frozenset[str]) -> list[Any]:
        found = [r for state in sorted(states) for r in self.store.find(model, state=state)]
        return sorted(found, key=lambda r: (len(r.id), r.id))  # id order, as a whole-table read gives

    def recover_campaign(self, campaign_id: str, *, reason: str) -> None:
        for exp in self.store.find(Experiment, campaign_id=campaign_id):
            if exp.state in EXPERIMENT_TRANSIENT:
                lc = ExperimentLifecycle(exp, save=self.store.update)
                with self.store.transaction():
                    lc.trigger("fail")
                    self.store.append_log(journal.entry(
                        "experiment", f"{exp.id} failed: {reason}", reason=reason, campaign_id=campaign_id,
                        experiment_id=exp.id))
        for task in self.store.find(Task, campaign_id=campaign_id):
            if task.state in TASK_TRANSIENT:
                TaskLifecycle(task, save=self.store.update).trigger("fail", changes={"error": reason})
        for cycle in self.store.find(Cycle, campaign_id=campaign_id):
            if cycle.state in CYCLE_TRANSIENT and not self._awaiting_human(cycle):
                report = (cycle.report + "\n" if cycle.report else "") + f"Aborted: {reason}"
                CycleLifecycle(cycle, save=self.store.update).trigger("stop", changes={"report": report})

    def _awaiting_human(self, cycle: Cycle) -> bool:
        if not cycle.experiment_id:
            return False
        return self.store.get(Experiment, cycle.experiment_id).state == "awaiting_approval"

    def reconcile_tuner(self) -> None:
        """The store is the record of decisions: the Tuner's active version must match it."""
        from manager.learning import record_version

        with self.ctx.tuner_lock:
            active = self.ctx.ports.call("tuner", "active")
            recorded = self.store.find(ParameterVersion, active=True)
            if not recorded:
                with self.store.transaction():
                    record_version(self.ctx, active, None)
                    self._log("engine", f"initial parameter version {active.id} recorded", version=active.id,
                              params=active.params)
                return
            expected = recorded[-1].version
            if active.id != expected:
                # One step reached the tuner but not the store: a lost rollback left the tuner
                # on the parent of what the store records (apply it again); a lost apply on a child.
                verb = "apply" if recorded[-1].parent == active.id else "rollback"
                restored = self.ctx.ports.call("tuner", verb, expected)
                self._log("rollback", f"tuner reconciled: {active.id} was active, the change log says {expected}",
                          reason="a change reached the tuner but was never recorded (crash or failure between the two)",
                          version=restored.id, previous_version=active.id)

    def reconcile_after_failure(self) -> None:
        """A failed step may have changed the tuner without recording it: put the tuner back."""
        try:
            self.reconcile_tuner()
        except Exception as exc:  # tuner or store still failing: the next start reconciles
            self._emit(EngineEvent("error", f"tuner not reconciled: {type(exc).__name__}: {exc}"))

    # --- rules --------------------------------------------------------------------

    def _rules_stamp(self) -> tuple:
        folder = rules_dir(self.workspace)
        if not folder.exists():
            return ()
        return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.rglob("*.yaml")))

    def reload_rules_if_changed(self, force: bool = False, actor: str = "manager") -> Any:
        stamp = self._rules_stamp()
        if not force and stamp == self._rules_seen:
            return None
        self._rules_seen = stamp
        result = self.ctx.rules.reload()
        if result.ok:
            if result.changed or force:
                self._log("rules", "rule files reloaded", initiator="manual" if actor != "manager" else "auto",
                          actor=actor, fingerprint=self.ctx.rules.rulebook.fingerprint)
                self._emit(EngineEvent("rules", "rule files reloaded"))
        else:
            errors = [str(e) for e in result.errors]
            self._log("rules", "rule files refused; the last good rules stay active", reason="; ".join(errors),
                      initiator="manual" if actor != "manager" else "auto", actor=actor, errors=errors)
            self._emit(EngineEvent("rules", "rule files refused: " + (errors[0] if errors else "invalid")))
        return result

    # --- commands from other processes -----------------------------------------------

    def process_commands(self) -> None:
        from manager.commands import execute

        for cmd in self.store.find(Command, state="pending"):
            try:
                result = execute(self, cmd)
                cmd = cmd.model_copy(update={"state": "done", "result": result})
            except Stopped:
                return
            except Exception as exc:  # refused, with the reason, for the sender to show
                self.reconcile_after_failure()
                cmd = cmd.model_copy(update={"state": "refused", "result": f"{exc}"})
            self.store.update(cmd)


def run_in_thread(engine: Engine, **kwargs: Any) -> threading.Thread:
    """Run the engine on its own event loop in a background thread (the TUI's way)."""
    thread = threading.Thread(target=lambda: asyncio.run(engine.run(**kwargs)), name="maas-engine", daemon=True)
    thread.start()
    return thread
