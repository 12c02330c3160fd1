"""The evidence of an experiment as Rich tables: hypothesis, A/B verdict, golden set, rules, lifecycle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from store.models import Experiment
from tui import format as fmt
from tui.data.experiments import Fired
from tui.text import literal, one_line


def grid() -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(ratio=1)
    return table


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def at_text(value: Any) -> str:
    """A stored time as UTC to the second."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return one_line(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return ""


def hypothesis(exp: Experiment, with_change: bool = True) -> Table:
    table = grid()
    if with_change:
        table.add_row("change", literal(exp.title or "—"))
    if exp.factor:
        table.add_row("impact factor", literal(exp.factor))
    if exp.step is not None:
        table.add_row("step", Text(f"{exp.step:+g}"))
    table.add_row("teacher's reason", literal(exp.hypothesis or "—"))
    if exp.design:
        table.add_row("design", literal(exp.design))
    if exp.success_criteria:
        table.add_row("expects", literal(", ".join(exp.success_criteria)))
    return table


def verdict(exp: Experiment) -> RenderableType:
    data = exp.verdict or {}
    if not data:
        return Text("No verdict yet.", style="dim")
    outcome = str(data.get("outcome", "?"))
    style = {"winner": "bold green", "loser": "bold red"}.get(outcome, "bold yellow")
    head = Text.assemble((outcome, style), "  ", literal(data.get("reason", "")))
    table = Table(box=None, padding=(0, 1), header_style="bold", show_edge=False)
    table.add_column("metric", no_wrap=True)
    table.add_column("baseline", justify="right", no_wrap=True)
    table.add_column("variant", justify="right", no_wrap=True)
    table.add_column("Δ", justify="right", no_wrap=True)
    level = _num(data.get("confidence"))
    table.add_column(f"{level * 100:.3g}% CI" if level is not None and 0 < level < 1 else "interval", no_wrap=True)
    for d in data.get("deltas") or []:
        if not isinstance(d, Mapping):
            continue
        metric = str(d.get("metric", "?"))
        better = d.get("better")
        delta_style = "green" if better is True else "red" if better is False else ""
        table.add_row(
            literal(fmt.metric_label(metric)),
            fmt.value(metric, _num(d.get("baseline"))),
            fmt.value(metric, _num(d.get("variant"))),
            Text(fmt.delta(metric, _num(d.get("delta"))), style=delta_style),
            fmt.interval(metric, _num(d.get("ci_low")), _num(d.get("ci_high"))),
        )
    return Group(head, table)


def golden(exp: Experiment, directions: Mapping[str, str] | None = None) -> RenderableType:
    gv = exp.golden_validation or {}
    if not gv:
        return Text("Not validated on the golden set yet.", style="dim")
    apply = bool(gv.get("apply"))
    head = Text.assemble(("apply" if apply else "reject", "bold green" if apply else "bold red"), "  ",
                         literal(gv.get("reason", "")))
    base = gv.get("golden_baseline") or {}
    var = gv.get("golden_variant") or {}
    table = Table(box=None, padding=(0, 1), header_style="bold", show_edge=False)
    table.add_column("golden set", no_wrap=True)
    table.add_column("baseline", justify="right", no_wrap=True)
    table.add_column("variant", justify="right", no_wrap=True)
    table.add_column("Δ", justify="right", no_wrap=True)
    for metric in base:
        b, v = _num(base.get(metric)), _num(var.get(metric))
        d = (v - b) if b is not None and v is not None else None
        style = ""
        direction = (directions or {}).get(metric)
        if d is not None and direction and abs(d) > 1e-12:
            good = d > 0 if direction == "higher_is_better" else d < 0
            style = "green" if good else "red"
        table.add_row(literal(fmt.metric_label(metric)), fmt.value(metric, b), fmt.value(metric, v),
                      Text(fmt.delta(metric, d), style=style))
    parts: list[RenderableType] = [head, table]
    degradation = gv.get("degradation") or {}
    if degradation.get("rollback"):
        parts.append(Text.assemble(("past the rollback bound: ", "bold red"),
                                   literal(", ".join(map(str, degradation.get("metrics") or [])))))
    return Group(*parts)


def fired(rules: Sequence[Fired], empty: str = "No rule fired.") -> RenderableType:
    if not rules:
        return Text(empty, style="dim")
    table = Table(box=None, padding=(0, 1), header_style="bold", show_edge=False, expand=True)
    table.add_column("rule", no_wrap=True, style="bold cyan")
    table.add_column("because", ratio=1)
    for f in rules:
        table.add_row(literal(f.rule), literal(f.because))
    return table


def policy(exp: Experiment) -> RenderableType:
    p = exp.policy or {}
    if not p:
        return Text("The policy gate has not looked at it yet.", style="dim")
    allowed = bool(p.get("allowed"))
    needs = bool(p.get("needs_approval"))
    verdict_text = ("allowed" if allowed else "refused") + (", needs a reviewer" if needs else "")
    table = grid()
    table.add_row("policy", Text(verdict_text, style="green" if allowed and not needs else "yellow" if allowed else "red"))
    for reason in p.get("reasons") or []:
        table.add_row("", literal(reason))
    return table


def lifecycle(exp: Experiment) -> RenderableType:
    if not exp.history:
        return Text(f"{exp.state} (no transitions yet)", style="dim")
    table = Table(box=None, padding=(0, 1), header_style="bold", show_edge=False, expand=True)
    table.add_column("at (UTC)", no_wrap=True)
    table.add_column("move", no_wrap=True)
    table.add_column("note", ratio=1)
    for step in exp.history:
        extra = {k: v for k, v in step.items() if k not in ("from", "to", "trigger", "at")}
        note = ", ".join(f"{k}: {v}" for k, v in extra.items())
        move = Text.assemble(str(step.get("from", "?")), " → ", (str(step.get("to", "?")), fmt.state_style(str(step.get("to", "")))))
        table.add_row(at_text(step.get("at")), move, literal(note))
    return table
