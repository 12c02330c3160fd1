"""The impact map: which factor moves which metric, which way, how strongly.

Read from ``data/impacts.yaml`` (or a workspace's own copy). Policy owners edit it; the
Teacher reads it to propose one factor and one step per cycle, and to design experiments.
Directions are stated for the factor going UP; a step down reverses them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from manager.ports import METRICS
from maas.datafiles import DATA_DIR, load_model

Direction = Literal["up", "down"]
_LOWER = {"hallucination_rate", "latency_p95_s", "error_rate"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Effect(_Strict):
    direction: Direction
    strength: int = Field(ge=1, le=3)  # 1 weak, 2 moderate, 3 strong
    why: str = ""


class ImpactMap(_Strict):
    metrics: dict[str, Literal["higher_is_better", "lower_is_better"]]
    factors: dict[str, dict[str, Effect]]

    @model_validator(mode="after")
    def _known_metrics(self) -> "ImpactMap":
        missing = [m for m in METRICS if m not in self.metrics]
        if missing:
            raise ValueError(f"metrics: direction missing for {', '.join(missing)}")
        for metric in METRICS:
            expected = "lower_is_better" if metric in _LOWER else "higher_is_better"
            if self.metrics[metric] != expected:
                raise ValueError(f"metrics.{metric}: must be {expected} (that is what the metric measures)")
        for factor, effects in self.factors.items():
            unknown = [m for m in effects if m not in self.metrics]
            if unknown:
                raise ValueError(f"factors.{factor}: unknown metric(s) {', '.join(unknown)}")
        return self

    def lower_is_better(self, metric: str) -> bool:
        return self.metrics.get(metric) == "lower_is_better"

    def effects(self, factor: str, sign: int) -> dict[str, tuple[Direction, int]]:
        """Each metric's direction and strength when ``factor`` moves by ``sign`` (+1 up, -1 down)."""
        flip = {"up": "down", "down": "up"}
        return {
            metric: (e.direction if sign > 0 else flip[e.direction], e.strength)
            for metric, e in self.factors.get(factor, {}).items()
        }


def load_impacts(path: Path | None = None) -> ImpactMap:
    return load_model(path or DATA_DIR / "impacts.yaml", ImpactMap)
