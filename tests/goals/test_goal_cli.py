"""`maas-manager goal translate`: the translation for a human, or JSON for a program."""

from __future__ import annotations

import json

from click.testing import CliRunner

from manager.cli import main


def invoke(tmp_path, *args, stdin=None):
    return CliRunner().invoke(main, ["-w", str(tmp_path), "goal", "translate", *args], input=stdin)


def test_a_russian_goal_is_shown_for_confirmation(tmp_path):
    result = invoke(tmp_path, "снизить hallucination_rate по персональной памяти < 3%")
    assert result.exit_code == 0, result.output
    assert "hallucination_rate [personal_facts]: ниже 3% (порог 2 п.п., critical)" in result.output
    assert "Готово" in result.output


def test_words_are_joined_and_json_is_for_programs(tmp_path):
    result = invoke(tmp_path, "--json", "increase", "recall", "on", "preferences", "by", "10", "points")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] is True and data["language"] == "en"
    assert data["targets"] == [{"metric": "retrieval_recall", "direction": "higher_is_better", "target": 0.7,
                                "threshold": 0.1, "priority": "primary", "segment": "preferences",
                                "relative_to_baseline": 0.1}]


def test_a_goal_that_is_not_ready_exits_1_and_says_why(tmp_path):
    result = invoke(tmp_path, "--json", "reduce noise")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["ok"] is False and "noise" in data["not_understood"][0]
    human = invoke(tmp_path, "увеличить галлюцинации")
    assert human.exit_code == 1 and "Конфликты" in human.output


def test_the_goal_can_come_from_standard_input(tmp_path):
    result = invoke(tmp_path, "-", stdin="optimize cost\nwhile keeping current quality\n")
    assert result.exit_code == 0, result.output
    assert "Priorities: cost, then quality" in result.output


def test_the_workspaces_rule_files_give_the_defaults(tmp_path):
    from rules import install_defaults

    rules = tmp_path / "rules"
    install_defaults(rules)
    targets = rules / "targets.yaml"
    targets.write_text(targets.read_text(encoding="utf-8").replace("0.05", "0.04", 1), encoding="utf-8")
    result = invoke(tmp_path, "--json", "reduce hallucinations")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["targets"][0]["target"] == 0.04


def test_broken_rule_files_are_named(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "targets.yaml").write_text("targets: [\n", encoding="utf-8")
    result = invoke(tmp_path, "keep recall")
    assert result.exit_code == 1
    assert "targets.yaml:" in result.output and "do not validate" in result.output


def test_goal_is_a_group_for_more_subcommands():
    import click

    from manager.cli import SUBCOMMANDS
    from manager.cli.goal_cmd import goal

    assert SUBCOMMANDS["goal"][0] == "manager.cli.goal_cmd:goal"
    assert isinstance(goal, click.Group) and goal.name == "goal"
    assert "translate" in goal.commands
