"""The seed's own goals (1.2), in Russian and in English, give the campaign they mean."""

from __future__ import annotations

import pytest

from manager.goals import COST_LATENCY_CUT, QUALITY_METRICS
from store.models import TargetSpec

HALLUCINATION_PERSONAL = TargetSpec(
    metric="hallucination_rate", direction="lower_is_better", target=0.03, threshold=0.02, priority="critical",
    segment="personal_facts")
RECALL_PREFERENCES = TargetSpec(
    metric="retrieval_recall", direction="higher_is_better", target=0.70, threshold=0.10, priority="primary",
    segment="preferences", relative_to_baseline=0.10)


@pytest.mark.parametrize("text, language", [
    ("снизить hallucination_rate по персональной памяти < 3%", "ru"),
    ("Снизить галлюцинации по личной памяти ниже 3 %", "ru"),
    ("уменьшить долю галлюцинаций в персональных фактах до 3%", "ru"),
    ("reduce hallucination_rate for personal memory below 3%", "en"),
    ("Lower hallucinations in personal facts to at most 0.03", "en"),
    ("decrease the hallucination rate on personal_facts < 3 %", "en"),
])
def test_hallucination_on_personal_memory(tr, text, language):
    t = tr(text)
    assert t.ok, t.summary()
    assert t.language == language
    assert t.targets == [HALLUCINATION_PERSONAL]
    assert t.constraints == {} and t.frozen_factors == [] and t.allowed_factors == [] and t.autonomy is None
    assert len(t.understood) == 1


@pytest.mark.parametrize("text, language", [
    ("увеличить recall по preferences на +10%", "ru"),
    ("повысить полноту по предпочтениям на 10 п.п.", "ru"),
    ("увеличить retrieval_recall в сегменте preferences на 10 пп", "ru"),
    ("increase recall on preferences by +10%", "en"),
    ("raise recall for preferences by 10 points", "en"),
    ("improve retrieval recall in the preferences segment by 10 pp", "en"),
])
def test_recall_on_preferences_relative(tr, text, language):
    t = tr(text)
    assert t.ok, t.summary()
    assert t.language == language
    # "+10%" is ten points over where the campaign starts: target stays the rule files' until then
    assert t.targets == [RECALL_PREFERENCES]


@pytest.mark.parametrize("text, language", [
    ("оптимизировать стоимость при сохранении текущего качества", "ru"),
    ("Оптимизировать стоимость, сохранив текущее качество", "ru"),
    ("снизить затраты без потери качества", "ru"),
    ("optimize cost while keeping current quality", "en"),
    ("Optimise costs while maintaining the current quality", "en"),
    ("minimize cost without losing quality", "en"),
])
def test_cost_while_keeping_quality(tr, default_of, text, language):
    t = tr(text)
    assert t.ok, t.summary()
    assert t.language == language
    latency = default_of("latency_p95_s").model_copy(update={"relative_to_baseline": -COST_LATENCY_CUT})
    holds = [default_of(m).model_copy(update={"relative_to_baseline": 0.0}) for m in QUALITY_METRICS]
    assert t.targets == [latency, *holds]
    assert t.priorities == ["cost", "quality"]
    # the translation says how cost is measured
    assert any("P95" in note for note in t.notes)


def test_cost_alone_warns_that_quality_is_not_held(tr):
    t = tr("optimize cost")
    assert [x.metric for x in t.targets] == ["latency_p95_s"]
    assert any("keeping current quality" in note for note in t.notes)
    assert not any("keeping current quality" in note for note in tr("optimize cost, keep quality").notes)


@pytest.mark.parametrize("text, autonomy, priorities", [
    ("Снизить hallucination_rate по персональной памяти < 3%; увеличить recall по preferences на +10%.\n"
     "Не трогать context_budget, менять только top_k и score_cutoff. Задержка не больше 3 с, "
     "ошибки не выше 1%. С подтверждением. Главное — качество памяти",
     "approval", ["quality", "cost"]),
    ("reduce hallucination_rate for personal memory below 3% and increase recall on preferences by 10 points; "
     "don't touch context_budget; only tune top_k and score_cutoff; max latency 3 s; max error rate 1%; "
     "automatically; cheap first",
     "auto", ["cost", "quality"]),
], ids=["ru", "en"])
def test_all_three_together_with_constraints_autonomy_and_priorities(tr, text, autonomy, priorities):
    t = tr(text)
    assert t.ok, t.summary()
    assert t.targets == [HALLUCINATION_PERSONAL, RECALL_PREFERENCES]
    assert t.frozen_factors == ["context_budget"]
    assert t.allowed_factors == ["top_k", "score_cutoff"]
    assert t.constraints == {"max_latency_p95_s": 3.0, "max_error_rate": 0.01}
    assert t.autonomy == autonomy
    assert t.priorities == priorities
    assert len(t.understood) == 8
