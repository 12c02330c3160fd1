"""How numbers look on screen: metrics, gaps, deltas, trends."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

SHORT_NAMES = {
    "hallucination_rate": "hallucination",
    "retrieval_precision": "precision",
    "retrieval_recall": "recall",
    "context_utilization": "context util.",
    "latency_p95_s": "latency p95",
    "error_rate": "errors",
}

BARS = "▁▂▃▄▅▆▇█"

STATE_STYLES = {
    # campaigns
    "active": "bold green",
    "paused": "yellow",
    "completed": "dim",
    "abandoned": "dim",
    "failed": "bold red",
    # experiments
    "awaiting_approval": "bold yellow",
    "applied": "green",
    "rolled_back": "red",
    "rejected": "dim",
    "running": "cyan",
}


def state_style(state: str) -> str:
    """A Rich style for a lifecycle state."""
    return STATE_STYLES.get(state, "")


def metric_label(metric: str, segment: str | None = None) -> str:
    name = SHORT_NAMES.get(metric, metric)
    return f"{name} [{segment}]" if segment else name


def is_seconds(metric: str) -> bool:
    return metric.endswith("_s")


def value(metric: str, number: float | None) -> str:
    """A metric value: rates as percent, ``*_s`` metrics as seconds."""
    if number is None:
        return "—"
    return f"{number:.2f} s" if is_seconds(metric) else f"{number * 100:.1f}%"


def target(metric: str, number: float, direction: str | None) -> str:
    sign = {"lower_is_better": "< ", "higher_is_better": "> "}.get(direction or "", "")
    return sign + value(metric, number)


def delta(metric: str, number: float | None, signed: bool = True) -> str:
    """A difference: rates in percentage points, seconds in seconds."""
    if number is None:
        return "—"
    sign = "+" if signed else ""
    return f"{number:{sign}.2f} s" if is_seconds(metric) else f"{number * 100:{sign}.1f} pp"


def interval(metric: str, low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return ""
    return f"[{delta(metric, low)}, {delta(metric, high)}]"


def spark(values: Sequence[float], width: int = 12) -> str:
    """A one-line trend of the last ``width`` values (flat when they do not move)."""
    points = [float(v) for v in values][-width:]
    if not points:
        return ""
    low, high = min(points), max(points)
    if high - low < 1e-12:
        return BARS[3] * len(points)
    scale = (len(BARS) - 1) / (high - low)
    return "".join(BARS[round((p - low) * scale)] for p in points)


def gap_text(metric: str, gap: float | None, exceeds: bool | None) -> Text:
    """The gap to target: red past its threshold, yellow short of target, green when met."""
    if gap is None:
        return Text("—", style="dim")
    if exceeds:
        style = "bold red"
    elif gap > 0:
        style = "yellow"
    else:
        style = "green"
    label = "met" if gap <= 0 else delta(metric, gap)
    return Text(label, style=style)


def progress_bar(done: int, total: int, width: int = 10) -> str:
    if total <= 0:
        return ""
    filled = round(width * min(max(done, 0), total) / total)
    return "█" * filled + "░" * (width - filled)


def count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
