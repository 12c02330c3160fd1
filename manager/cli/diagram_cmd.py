"""``maas-manager diagram [MACHINE]``: the lifecycles as mermaid state diagrams."""

from __future__ import annotations

import click

from state_machines import MACHINES, mermaid


@click.command()
@click.argument("machine", required=False, type=click.Choice(list(MACHINES)))
@click.option("--markdown", is_flag=True, help="Wrap each diagram in a ```mermaid fence under a heading.")
def diagram(machine: str | None, markdown: bool) -> None:
    """Print each lifecycle, or MACHINE, as a mermaid stateDiagram-v2."""
    names = [machine] if machine else list(MACHINES)
    blocks = []
    for name in names:
        text = mermaid(name)
        blocks.append(f"## {name}\n\n```mermaid\n{text}```\n" if markdown else text)
    click.echo("\n".join(blocks), nl=False)
