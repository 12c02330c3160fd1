"""Mermaid diagrams: drawn from the definitions, printed by ``maas-manager diagram``."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from click.testing import CliRunner
from sm_reference import INITIAL, STATES, TABLES, TERMINAL

import state_machines as sm
from manager.cli import main

EDGE = re.compile(r"^\s*(\w+) --> (\w+): (.+)$")
LABEL = re.compile(r"^(\w+)(?: \[(.+)\])?$")


def _edges(text):
    found = {}
    for line in text.splitlines():
        match = EDGE.match(line)
        if not match:
            continue
        source, dest, labels = match.groups()
        for label in labels.split(" | "):
            trigger, guards = LABEL.match(label).groups()
            found[(source, trigger)] = (dest, tuple(guards.split(" & ")) if guards else ())
    return found


@pytest.mark.parametrize("machine", list(TABLES))
def test_diagram_shows_every_state_and_transition_with_its_guards(machine):
    text = sm.mermaid(machine)
    lines = text.splitlines()
    assert lines[:4] == ["---", f"title: {machine}", "---", "stateDiagram-v2"]
    assert _edges(text) == TABLES[machine]
    stripped = [line.strip() for line in lines]
    for state in STATES[machine]:
        assert f'state "{state}" as {state}' in stripped
    assert f"[*] --> {INITIAL[machine]}" in stripped
    finals = {line.split()[0] for line in stripped if line.endswith("--> [*]")}
    assert finals == TERMINAL[machine]
    assert all(line == line.rstrip() for line in lines)
    assert "s_active" not in "\n".join(line for line in lines if line.lstrip().startswith("Class"))


def test_unknown_machine_name():
    with pytest.raises(ValueError, match="no lifecycle named 'goal'; known: experiment, cycle, campaign, task"):
        sm.mermaid("goal")


def test_cli_prints_every_machine(tmp_path):
    result = CliRunner().invoke(main, ["-w", str(tmp_path), "diagram"])
    assert result.exit_code == 0, result.output
    assert result.output == "\n".join(sm.mermaid(name) for name in sm.MACHINES)
    assert result.output.count("stateDiagram-v2") == 4


@pytest.mark.parametrize("machine", list(TABLES))
def test_cli_prints_the_named_machine(machine, tmp_path):
    result = CliRunner().invoke(main, ["-w", str(tmp_path), "diagram", machine])
    assert result.exit_code == 0, result.output
    assert result.output == sm.mermaid(machine)


def test_cli_markdown_fences(tmp_path):
    result = CliRunner().invoke(main, ["-w", str(tmp_path), "diagram", "--markdown", "task"])
    assert result.exit_code == 0, result.output
    assert result.output == f"## task\n\n```mermaid\n{sm.mermaid('task')}```\n"


def test_cli_unknown_machine(tmp_path):
    result = CliRunner().invoke(main, ["-w", str(tmp_path), "diagram", "goal"])
    assert result.exit_code == 2
    assert "'goal' is not one of 'experiment', 'cycle', 'campaign', 'task'" in result.output


def test_no_textual_in_core():
    code = (
        "import sys, state_machines, manager.cli.diagram_cmd\n"
        "state_machines.mermaid('experiment')\n"
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
