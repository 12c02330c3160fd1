"""Interim looks of the A/B (rules: methodology.ab_looks): the variant is emulated look by look,
the Teacher judges after each look, and the first verdict that is not "inconclusive" decides.

The scripted Teacher answers by the number of variant dialogues it is shown (option
``verdicts``), so each test fixes where the A/B must stop; the default rule files ask for
looks at 10 and 20 of 30 dialogues.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import scripted_maas
from conftest import run, scripted_workspace, start_campaign

from manager.engine import Engine
from manager.workspace import rules_dir
from store.models import Campaign, Experiment, Task

LOOKS_OFF = "interim A/B looks off"


def engine_for(ws: Path, **options) -> tuple[Engine, scripted_maas.World]:
    maas = scripted_maas.build(ws, {"golden": "better", **options})
    return Engine(ws, maas=maas), maas.teacher.world


def one_cycle(tmp_path: Path, **options) -> tuple[Engine, scripted_maas.World, Experiment]:
    ws = scripted_workspace(tmp_path)
    engine, world = engine_for(ws, **options)
    start_campaign(engine)
    run(engine, max_cycles=1)
    (exp,) = engine.store.all(Experiment)
    return engine, world, exp


def variant_tasks(engine: Engine, exp: Experiment) -> list[tuple[str, int, str]]:
    return [(t.title, t.total, t.state) for t in engine.store.find(Task, ref=exp.id)
            if t.kind == "emulation" and t.title.startswith("Variant batch")]


def set_looks(ws: Path, looks: str) -> None:
    path = rules_dir(ws) / "methodology.yaml"
    text = path.read_text(encoding="utf-8")
    assert "  ab_looks: [10, 20]\n" in text
    path.write_text(text.replace("  ab_looks: [10, 20]\n", looks), encoding="utf-8")


def test_a_winner_at_the_first_look_stops_the_ab_and_the_baseline_is_judged_on_the_same_dialogues(tmp_path):
    engine, world, exp = one_cycle(tmp_path)
    assert world.looks == [(30, 10)], "one verdict, at the first look"
    assert variant_tasks(engine, exp) == [(f"Variant batch of {exp.id}, dialogues 1-10 of 30", 10, "completed")]
    # the cycle's batch (30), the variant (10), and the baseline again on the variant's 10 dialogues
    assert world.judged == [30, 10, 10]
    assert exp.state == "applied"
    assert exp.verdict["outcome"] == "winner"
    assert exp.verdict["reason"] == "interim look at 10 of 30 dialogues: every training metric improved (10 dialogues)"
    assert exp.verdict["looks"] == [{"dialogues": 10, "outcome": "winner",
                                     "reason": "every training metric improved (10 dialogues)"}]
    (entry,) = [e for e in engine.store.log(experiment_id=exp.id) if e.summary.endswith("verdict: winner")]
    assert entry.reason.startswith("interim look at 10 of 30 dialogues: ")


def test_a_loser_at_the_second_look_is_rejected_with_the_look_that_decided(tmp_path):
    engine, world, exp = one_cycle(tmp_path, verdicts={10: "inconclusive", 20: "loser"})
    assert world.looks == [(30, 10), (30, 20)]
    assert variant_tasks(engine, exp) == [
        (f"Variant batch of {exp.id}, dialogues 1-10 of 30", 10, "completed"),
        (f"Variant batch of {exp.id}, dialogues 11-20 of 30", 10, "completed"),
    ]
    assert exp.state == "rejected" and world.applied == []
    assert [look["outcome"] for look in exp.verdict["looks"]] == ["inconclusive", "loser"]
    rejected = [e for e in engine.store.log(experiment_id=exp.id) if "rejected" in e.summary]
    assert rejected[-1].reason.startswith("A/B verdict loser: interim look at 20 of 30 dialogues: ")


def test_inconclusive_looks_run_on_to_the_whole_batch(tmp_path):
    engine, world, exp = one_cycle(tmp_path, verdicts={10: "inconclusive", 20: "inconclusive"})
    assert world.looks == [(30, 10), (30, 20), (30, 30)]
    assert [(total, state) for _, total, state in variant_tasks(engine, exp)] == [(10, "completed")] * 3
    assert world.judged == [30, 30], "the whole batch: the cycle's own judgement of the baseline is used"
    assert exp.state == "applied"
    assert exp.verdict["reason"] == ("whole batch of 30 dialogues (interim looks at 10, 20 inconclusive): "
                                     "every training metric improved (30 dialogues)")
    assert [look["dialogues"] for look in exp.verdict["looks"]] == [10, 20, 30]


def test_inconclusive_to_the_end_is_rejected(tmp_path):
    engine, world, exp = one_cycle(tmp_path, verdicts={10: "inconclusive", 20: "inconclusive", 30: "inconclusive"})
    assert exp.state == "rejected" and len(world.looks) == 3
    assert exp.verdict["outcome"] == "inconclusive"


def test_without_looks_in_the_rules_the_ab_runs_the_whole_batch_as_before(tmp_path):
    ws = scripted_workspace(tmp_path)
    set_looks(ws, "")  # an old workspace: no ab_looks key at all
    engine, world = engine_for(ws)
    start_campaign(engine)
    run(engine, max_cycles=1)
    (exp,) = engine.store.all(Experiment)
    assert world.looks == [(30, 30)]
    assert variant_tasks(engine, exp) == [(f"Variant batch of {exp.id}", 30, "completed")]
    assert "looks" not in exp.verdict and exp.verdict["reason"] == "every training metric improved (30 dialogues)"
    assert not [e for e in engine.store.log() if LOOKS_OFF in e.summary]


class OldEmulator:
    """An emulator written before ``start``: its run_batch cannot run part of a batch."""

    def __init__(self, inner: scripted_maas.ScriptedEmulator) -> None:
        self.inner = inner

    def run_batch(self, params, n, seed, progress=None):
        return self.inner.run_batch(params, n, seed, progress)


def test_an_emulator_without_start_gets_whole_batches_and_the_change_log_says_so_once(tmp_path):
    ws = scripted_workspace(tmp_path)
    maas = scripted_maas.build(ws, {"golden": "better"})
    maas = maas.model_copy(update={"emulator": OldEmulator(maas.emulator)})
    world = maas.teacher.world
    engine = Engine(ws, maas=maas)
    start_campaign(engine)
    run(engine, max_cycles=2)
    exps = engine.store.all(Experiment)
    assert len(exps) == 2 and world.looks == [(30, 30), (30, 30)]
    for exp in exps:
        assert variant_tasks(engine, exp) == [(f"Variant batch of {exp.id}", 30, "completed")]
        assert "looks" not in exp.verdict
    (notice,) = [e for e in engine.store.log() if LOOKS_OFF in e.summary]
    assert "takes no 'start'" in notice.reason and "10, 20 of 30" in notice.reason


class IgnoresStart:
    """Takes ``start`` but plays the first dialogues again: the parts would not make one batch."""

    def __init__(self, inner: scripted_maas.ScriptedEmulator) -> None:
        self.inner = inner

    def run_batch(self, params, n, seed, progress=None, start=0):
        return self.inner.run_batch(params, n, seed, progress)


def test_an_emulator_that_ignores_start_fails_the_experiment_naming_the_call(tmp_path):
    ws = scripted_workspace(tmp_path)
    maas = scripted_maas.build(ws, {"golden": "better", "verdicts": {10: "inconclusive"}})
    maas = maas.model_copy(update={"emulator": IgnoresStart(maas.emulator)})
    engine = Engine(ws, maas=maas)
    start_campaign(engine)
    run(engine, max_cycles=1)
    (exp,) = engine.store.all(Experiment)
    assert exp.state == "failed" and maas.tuner.world.applied == []
    errors = [e.summary for e in engine.store.log(kind="error")]
    assert any("emulator.run_batch" in s and "did not honour 'start'" in s for s in errors), errors
    assert engine.store.all(Campaign)[0].state == "paused"
    assert {t.state for t in engine.store.all(Task)} <= {"completed", "failed"}


@pytest.mark.parametrize(("looks", "words"), [("  ab_looks: [20, 10]\n", "strictly increasing"),
                                              ("  ab_looks: [10, 30]\n", "not below batch_size 30")])
def test_bad_looks_in_a_rule_reload_are_refused_and_the_last_good_rules_stay(tmp_path, looks, words):
    ws = scripted_workspace(tmp_path)
    engine, _ = engine_for(ws)
    set_looks(ws, looks)
    result = engine.reload_rules_if_changed(force=True)
    assert not result.ok
    (error,) = result.errors
    assert (Path(error.file).name, error.line) == ("methodology.yaml", 15) and words in error.message
    assert engine.ctx.rules.rulebook.methodology.ab_looks == [10, 20]
