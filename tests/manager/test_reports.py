"""ToDo, meta-prompt, reports and the Manager's own metrics, over a real run."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import learn

from manager.cli import main
from manager.engine import Engine
from manager.reports import full_report, manager_metrics
from manager.todo import render_meta_prompt, todo
from store.models import Experiment, Task


@pytest.fixture(scope="module")
def learned(tmp_path_factory):
    from manager.demo import ensure_workspace

    ws = tmp_path_factory.mktemp("learned") / "ws"
    ensure_workspace(ws)
    return learn(Engine(ws), max_cycles=4)


def test_todo_lists_finished_tasks_in_seed_form(learned):
    items = todo(learned.store)
    assert items and all(i.done for i in items), "after the run nothing is open"
    assert any(i.line().startswith("- [x] Emulation batch") for i in items)


def test_todo_puts_a_waiting_approval_first(learned):
    store = learned.store
    exp = store.all(Experiment)[0]
    store.update(exp.model_copy(update={"state": "awaiting_approval"}))
    running = store.insert(Task(kind="emulation", title="Emulation batch cyc-x", state="running", done=12, total=30))
    try:
        items = todo(store)
        assert items[0].needs_human and items[0].ref == exp.id
        assert any(i.status == "running 12/30" for i in items)
    finally:
        store.update(exp)
        store.update(store.get(Task, running.id).model_copy(update={"state": "completed"}))


def test_meta_prompt_has_the_seed_sections_with_live_values(learned):
    text = render_meta_prompt(learned.store, learned.ctx.rules.rulebook)
    for heading in ("## Mission", "## Current targets", "## Methodology", "## Constraints", "## Current ToDo"):
        assert heading in text
    assert "N = 30" in text and "current: n/a" not in text
    assert "10% of its baseline" in text
    assert "context_budget: approval" in text


def test_manager_metrics_are_computed(learned):
    m = manager_metrics(learned.store)
    assert m["velocity"]["goal_to_first_experiment_s"] is not None
    assert m["velocity"]["completed_to_decision_s"] is not None
    assert m["coverage"]["with_experiment"] == m["coverage"]["campaigns"] == 1
    assert m["consistency"]["conflicting_changes"] == 0
    assert m["safety"]["changes_outside_policy"] == []


def test_report_covers_metrics_experiments_decisions(learned):
    text = full_report(learned.store, learned.ctx.rules.rulebook)
    assert "## Metrics against targets over time" in text
    assert "## Experiments" in text and "## Decisions" in text
    assert "The Manager's own metrics" in text
    assert "## Cycle 1" in text


def test_report_and_history_cli(learned, tmp_path):
    runner = CliRunner()
    ws = str(learned.workspace)
    out = tmp_path / "r.md"
    result = runner.invoke(main, ["-w", ws, "report", "--campaign", "cmp-000001", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("# maas-manager report")
    (tmp_path / "a-file").write_text("")
    result = runner.invoke(main, ["-w", ws, "report", "-o", str(tmp_path / "a-file" / "r.md")])
    assert result.exit_code == 1 and "cannot write the report to" in result.output
    assert "Traceback" not in result.output
    assert out.read_text().startswith("# maas-manager report")  # the earlier report untouched
    result = runner.invoke(main, ["-w", ws, "report", "--campaign", "cmp-404"])
    assert result.exit_code != 0 and "no campaign cmp-404" in result.output
    result = runner.invoke(main, ["-w", ws, "history", "verify"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["-w", ws, "campaign", "list"])
    assert "cmp-000001" in result.output
