"""Goal Translator (seed 1.3): a human goal, in Russian or English, becomes a campaign.

    from manager.goals import translate, GoalTranslation

``KNOWN_SEGMENTS`` and ``KNOWN_FACTORS`` are the embedded MaaS's memory segments and
impact factors. They are fallbacks for callers that have nothing better (the CLI before
any engine has run): the engine passes what its Tuner and Teacher actually report.
"""

from manager.goals.reading import COST_LATENCY_CUT, COST_METRIC, QUALITY_METRICS
from manager.goals.model import GoalTranslation
from manager.goals.text import MAX_GOAL_CHARS
from manager.goals.translate import translate

KNOWN_SEGMENTS: tuple[str, ...] = ("preferences", "personal_facts", "events")
KNOWN_FACTORS: tuple[str, ...] = ("top_k", "score_cutoff", "abstain_threshold", "context_budget")

__all__ = [
    "COST_LATENCY_CUT",
    "COST_METRIC",
    "KNOWN_FACTORS",
    "KNOWN_SEGMENTS",
    "MAX_GOAL_CHARS",
    "QUALITY_METRICS",
    "GoalTranslation",
    "translate",
]
