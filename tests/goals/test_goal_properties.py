"""translate() never raises, and what it returns always makes sense, whatever the text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manager.goals import MAX_GOAL_CHARS, GoalTranslation, translate
from manager.goals.text import clean

from goal_fixtures import DEFAULTS, FACTORS, SEGMENTS  # type: ignore[import-not-found]

KNOWN_METRICS = {t.metric for t in DEFAULTS}
LIMITS = {"max_latency_p95_s", "max_error_rate"}

# pieces of real goals, so that generated text reaches deep into the parser
PIECES = [
    "снизить", "увеличить", "удержать", "оптимизировать", "reduce", "increase", "keep", "optimize", "improve",
    "не", "don't", "только", "only", "max", "limit", "recall", "precision", "галлюцинации", "hallucination_rate",
    "задержка", "latency", "ошибки", "error rate", "качество", "quality", "стоимость", "cost", "по", "for",
    "preferences", "персональной памяти", "events", "work", "на", "by", "до", "to", "<", ">", "<=", "ниже",
    "below", "at most", "at least", "3%", "+10%", "-5", "0.03", "1,5", "80", "3 s", "500 мс", "п.п.", "points",
    "не трогать", "top_k", "context_budget", "модели", "без подтверждения", "with approval", "вручную",
    "главное —", "дёшево", "first", "и", "and", ",", ";", ".", "\n", "\x00", "\u200b", "—", "«", "»",
]
pieces = st.lists(st.sampled_from(PIECES), max_size=40)
goal_like = st.one_of(pieces.map(" ".join), pieces.map("".join))
anything = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
control = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x9F), max_size=200)
long_text = st.builds(lambda s, n: (s or "x") * n, goal_like, st.integers(1, 400))


def run(text: str) -> GoalTranslation:
    return translate(text, defaults=DEFAULTS, factors=FACTORS, segments=SEGMENTS)


def check(t: GoalTranslation) -> None:
    assert t.language in ("ru", "en")
    for target in t.targets:
        assert target.metric in KNOWN_METRICS
        assert target.segment is None or target.segment in SEGMENTS
        assert target.direction == next(d.direction for d in DEFAULTS if d.metric == target.metric)
    keys = [(x.metric, x.segment) for x in t.targets]
    assert len(keys) == len(set(keys)), "one target per metric and segment"
    assert set(t.constraints) <= LIMITS and all(v > 0 or k == "max_error_rate" for k, v in t.constraints.items())
    assert set(t.allowed_factors) <= set(FACTORS) and set(t.frozen_factors) <= set(FACTORS)
    assert set(t.priorities) <= {"quality", "cost"}
    if t.ok:
        assert t.targets and not t.not_understood and not t.conflicts
    assert t.summary()
    assert GoalTranslation.model_validate_json(t.model_dump_json()) == t


FAST = settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))


@FAST
@given(st.one_of(anything, control))
def test_never_raises_on_any_text(text):
    check(run(text))


@FAST
@given(goal_like)
def test_never_raises_on_goal_like_text(text):
    check(run(text))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(long_text)
def test_never_raises_on_long_text(text):
    t = run(text)
    check(t)
    if len(clean(text)) > MAX_GOAL_CHARS:
        assert t.targets == [] and t.not_understood


@FAST
@given(goal_like)
def test_the_same_text_gives_the_same_translation(text):
    assert run(text) == run(text)


def test_a_huge_input_with_control_characters():
    check(run(("снизить галлюцинации < 3%\x00\x1b[31m; " * 50_000)))
