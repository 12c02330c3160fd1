"""Fixtures of the goal tests: translate() with the seed's rule-file targets."""

from __future__ import annotations

from typing import Callable

import pytest

from manager.goals import GoalTranslation, translate
from store.models import TargetSpec

from goal_fixtures import DEFAULTS, FACTORS, SEGMENTS  # type: ignore[import-not-found]


@pytest.fixture
def defaults() -> list[TargetSpec]:
    return [t.model_copy() for t in DEFAULTS]


@pytest.fixture
def default_of() -> Callable[[str], TargetSpec]:
    by_metric = {t.metric: t for t in DEFAULTS}
    return lambda metric: by_metric[metric]


@pytest.fixture
def tr() -> Callable[..., GoalTranslation]:
    """translate() with the seed's defaults; keyword arguments replace them."""

    def run(text: str, **kw: object) -> GoalTranslation:
        args = {"defaults": DEFAULTS, "factors": FACTORS, "segments": SEGMENTS, **kw}
        return translate(text, **args)  # type: ignore[arg-type]

    return run
