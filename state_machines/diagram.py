"""Mermaid ``stateDiagram-v2`` text of a lifecycle, drawn by the ``transitions`` mermaid engine."""

from __future__ import annotations

from state_machines.definition import LifecycleDefinition
from state_machines.machines import MACHINES


def mermaid(name: str) -> str:
    """The named lifecycle as mermaid text: guards in brackets, terminal states lead to ``[*]``."""
    try:
        definition = MACHINES[name]
    except KeyError:
        raise ValueError(f"no lifecycle named {name!r}; known: {', '.join(MACHINES)}") from None
    lines = [line.rstrip() for line in _draw(definition).splitlines()]
    if lines[0] == lines[2] == "---":
        lines[1] = f"title: {definition.name}"  # the engine writes a bare name; mermaid front matter is YAML
    lines += [f"  {state} --> [*]" for state in definition.states if state in definition.terminal]
    return "\n".join(lines) + "\n"


def _draw(definition: LifecycleDefinition) -> str:
    # imported here: the diagram extension is only needed by the diagram command
    from transitions.extensions.diagrams import GraphMachine

    machine = GraphMachine(
        model=[],
        states=list(definition.states),
        initial=definition.initial,
        transitions=definition.machine_transitions(str),  # guards by name, as labels
        auto_transitions=False,
        graph_engine="mermaid",
        show_conditions=True,
        title=definition.name,
    )
    # a graph of the definition itself, so no state is styled as a model's current one
    return machine.graph_cls(machine).get_graph(title=definition.name).source
