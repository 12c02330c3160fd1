"""The translation of a goal, as shown to the human for confirmation (seed 1.3, 4.1)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from manager.goals import wording
from store.models import TargetSpec


class GoalTranslation(BaseModel):
    """A human goal turned into a campaign's targets, factors, limits, autonomy and priorities."""

    model_config = ConfigDict(extra="forbid")

    text: str
    language: Literal["ru", "en"]
    name: str
    targets: list[TargetSpec] = Field(default_factory=list)
    allowed_factors: list[str] = Field(default_factory=list, description="empty: all factors the policy allows")
    frozen_factors: list[str] = Field(default_factory=list)
    constraints: dict[str, float] = Field(default_factory=dict, description="max_latency_p95_s, max_error_rate")
    autonomy: Literal["auto", "approval", "manual"] | None = None
    priorities: list[str] = Field(default_factory=list)
    understood: list[str] = Field(default_factory=list, description="one line per clause understood")
    not_understood: list[str] = Field(default_factory=list, description="the clause and what is known instead")
    conflicts: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Ready to become a campaign: targets, nothing misunderstood, nothing contradictory."""
        return bool(self.targets) and not self.not_understood and not self.conflicts

    def summary(self) -> str:
        """What to show the human before the campaign starts, in the goal's language."""
        lang = self.language

        def say(key: str, **fields: object) -> str:
            return wording.say(lang, key, **fields)

        lines = [f"{say('goal')}: {self.text}", f"{say('campaign')}: {self.name}", f"{say('targets')}:"]
        lines += [f"  - {wording.describe_target(t, lang)}" for t in self.targets] or [f"  - {say('none')}"]
        factors = say("factors_only", words=", ".join(self.allowed_factors)) if self.allowed_factors else say("factors_all")
        lines.append(f"{say('factors')}: {factors}")
        if self.frozen_factors:
            lines.append(f"{say('frozen')}: {', '.join(self.frozen_factors)}")
        if self.constraints:
            limits = "; ".join(wording.describe_constraint(k, v, lang) for k, v in self.constraints.items())
            lines.append(f"{say('constraints')}: {limits}")
        autonomy = wording.pick(lang, wording.AUTONOMY_LABELS[self.autonomy]) if self.autonomy else say("autonomy_unset")
        lines.append(f"{say('autonomy')}: {autonomy}")
        if self.priorities:
            lines.append(f"{say('priorities')}: {wording.describe_priorities(self.priorities, lang)}")
        for key, items in (("understood", self.understood), ("not_understood", self.not_understood),
                           ("conflicts", self.conflicts), ("notes", self.notes)):
            if items:
                lines.append(f"{say(key)}:")
                lines += [f"  - {item}" for item in items]
        lines.append(say("ready") if self.ok else say("not_ready"))
        return "\n".join(lines)
