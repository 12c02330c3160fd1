"""The Manager's own ToDo and its rendered meta-prompt (seed 0.1).

Both are read models over the store: what the engine is doing now, what waits
for a human, and the mission/targets/methodology/constraints it works under.
The ToDo is read on every refresh of the TUI: its finds by state read only the
partitions whose filters admit that state (store.filters), and the finished tasks
come from the newest partition, so it costs the same whatever the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from store.models import Campaign, Experiment, MetricSnapshot, TargetSpec, Task

KIND_TITLE = {
    "emulation": "Emulation",
    "evaluation": "Evaluation",
    "tuning": "Tuning",
    "validation": "Golden validation",
    "design": "Design",
}


@dataclass(frozen=True)
class TodoItem:
    done: bool
    kind: str
    title: str
    status: str
    progress: tuple[int, int] | None = None
    campaign_id: str | None = None
    ref: str | None = None
    needs_human: bool = False

    def line(self) -> str:
        box = "[x]" if self.done else "[ ]"
        return f"- {box} {self.title}: {self.status}"


def todo(store: Any, *, recent: int = 5) -> list[TodoItem]:
    """Open work first (running, waiting for a human), then the last few finished tasks."""
    items: list[TodoItem] = []
    for exp in store.find(Experiment, state="awaiting_approval"):
        items.append(TodoItem(False, "tuning", f"Tuning experiment {exp.id}", f"awaiting approval — {exp.title}",
                              campaign_id=exp.campaign_id, ref=exp.id, needs_human=True))
    for task in store.find(Task, state="running") + store.find(Task, state="pending"):
        status = task.state
        progress = None
        if task.total:
            status = f"{task.state} {task.done}/{task.total}"
            progress = (task.done, task.total)
        items.append(TodoItem(False, task.kind, task.title, status, progress, task.campaign_id, task.ref))
    finished = store.page(Task, 0, recent * 3, reverse=True)
    for task in [t for t in finished if t.state in ("completed", "failed", "cancelled")][:recent]:
        status = task.state + (f": {task.error}" if task.error else "")
        items.append(TodoItem(task.state == "completed", task.kind, task.title, status,
                              (task.done, task.total) if task.total else None, task.campaign_id, task.ref))
    return items


def _fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f} s" if metric.endswith("_s") else f"{value * 100:.1f}%"


def latest_metrics(store: Any, campaign_id: str | None = None) -> MetricSnapshot | None:
    snaps = store.page(MetricSnapshot, 0, 20, reverse=True, source="train")
    for snap in snaps:
        if snap.variant != "variant" and (campaign_id is None or snap.campaign_id == campaign_id):
            return snap
    return None


def render_meta_prompt(store: Any, rulebook: Any, campaign: Campaign | None = None) -> str:
    """The seed's meta-prompt (0.1), filled with live values."""
    targets: list[TargetSpec] = list(campaign.targets) if campaign and campaign.targets else list(rulebook.targets)
    snap = latest_metrics(store, campaign.id if campaign else None)
    m = rulebook.methodology
    a = rulebook.autonomy
    lines = ["# Meta-Prompt: Self-Learning Manager", "", "## Mission",
             "Bring the MaaS to its target metrics through cycles of experiments."]
    if campaign:
        lines.append(f"Campaign {campaign.id}: {campaign.goal_text}")
    lines += ["", "## Current targets"]
    for t in targets:
        sign = "<" if t.direction == "lower_is_better" else ">"
        current = None
        if snap is not None:
            current = (snap.segments.get(t.segment, {}) if t.segment else snap.metrics).get(t.metric)
        scope = f" [{t.segment}]" if t.segment else ""
        lines.append(f"- {t.metric}{scope}: {sign} {_fmt(t.metric, t.target)} "
                     f"(current: {_fmt(t.metric, current)}; {t.priority}, threshold {_fmt(t.metric, t.threshold)})")
    lines += [
        "",
        "## Methodology",
        f"1. Run N emulated dialogues (N = {m.batch_size})",
        "2. Collect metrics through the Sensor and the Teacher",
        "3. Compute the gap of each metric: gap = target - current",
        "4. If a gap exceeds its threshold: the Teacher picks the impact factor and forms a hypothesis;",
        "   run a paired A/B experiment"
        + (f" with interim looks after {', '.join(map(str, m.ab_looks))} dialogues (stricter confidence;"
           " a decisive look ends it early)" if m.ab_looks else "")
        + "; validate on the golden set",
        "5. Apply the change through the Tuner (or wait for a human where policy says so)",
        "6. Repeat the cycle",
        "",
        "## Constraints",
        f"- Change at most {1 if m.one_factor_per_cycle else 'several'} impact factor per cycle",
        f"- Roll back when a metric worsened by more than {rulebook_rollback_bound(rulebook)}",
        f"- At most {m.max_cycles_per_experiment} cycles per experiment, {m.max_cycles_per_campaign} per campaign",
        f"- At most {a.max_parallel_experiments} experiments in parallel"
        + (", one running experiment per parameter" if a.one_running_experiment_per_parameter else ""),
        "- A change is applied only if the golden set confirms it",
    ]
    for name, p in sorted(a.parameters.items()):
        lines.append(f"- {name}: {p.level}, range [{p.minimum:g}, {p.maximum:g}], step ≤ {p.max_step:g}")
    if campaign and campaign.frozen_factors:
        lines.append(f"- Do not touch: {', '.join(campaign.frozen_factors)}")
    lines += ["", "## Current ToDo"]
    items = todo(store)
    lines += [item.line() for item in items] or ["- (nothing)"]
    return "\n".join(lines)


def rulebook_rollback_bound(rulebook: Any) -> str:
    text = f"{rulebook.degradation.default_bound * 100:g}% of its baseline"
    if rulebook.degradation.bounds:
        text += " (" + ", ".join(f"{m}: {b * 100:g}%" for m, b in sorted(rulebook.degradation.bounds.items())) + ")"
    return text
