"""The translation as shown for confirmation: in the goal's language, with everything in it."""

from __future__ import annotations


def test_russian_summary_shows_every_part(tr):
    t = tr("Снизить hallucination_rate по персональной памяти < 3%; не трогать context_budget; только top_k; "
           "задержка не больше 3 с; с подтверждением; главное — качество памяти")
    text = t.summary()
    for expected in [
        "Цель: Снизить hallucination_rate",
        "Кампания: hallucination_rate [personal_facts] < 3%",
        "  - hallucination_rate [personal_facts]: ниже 3% (порог 2 п.п., critical)",
        "Факторы: только top_k",
        "Не трогать: context_budget",
        "Ограничения: задержка P95 не больше 3 с",
        "Автономия: approval — с подтверждением",
        "Приоритеты: качество, затем стоимость",
        "Понято:",
        "Готово: подтвердите, чтобы начать кампанию",
    ]:
        assert expected in text, (expected, text)
    assert "Не понято" not in text and "Конфликты" not in text


def test_english_summary_of_a_goal_that_is_not_ready(tr):
    t = tr("increase recall on preferences by 10 points; reduce noise; increase latency")
    text = t.summary()
    for expected in [
        "Goal: increase recall on preferences by 10 points",
        "  - retrieval_recall [preferences]: 10 pp above the current value (threshold 10 pp, primary)",
        "Factors: all that the policy allows",
        "Autonomy: as the rule files say (not stated)",
        "Not understood:\n  - 'reduce noise': did not understand 'noise'",
        "Conflicts:\n  - 'increase latency': for latency_p95_s lower is better",
        "Notes:",
        "Not ready: fix the goal",
    ]:
        assert expected in text, (expected, text)


def test_understood_lines_are_one_per_clause_in_the_goals_language(tr):
    t = tr("снизить галлюцинации < 3%, без подтверждения")
    assert t.understood == [
        "«снизить галлюцинации < 3%» → hallucination_rate: ниже 3% (порог 2 п.п., critical)",
        "«без подтверждения» → Автономия: auto — без подтверждения",
    ]


def test_campaign_names(tr):
    assert tr("увеличить recall по preferences на +10%").name == "retrieval_recall [preferences] +10 п.п."
    assert tr("optimize cost while keeping current quality").name == "cost ↓; quality ≥ current"
    assert tr("reduce latency by 300 ms; keep precision").name == "latency_p95_s -0.3 s; retrieval_precision ≥ current"
    assert tr("").name == "empty goal"
    long_goal = tr("; ".join(f"increase recall on {s} by {n} points" for s in ("preferences", "events")
                             for n in (1,)) + "; reduce hallucinations below 2%; improve context utilization")
    assert len(long_goal.name) <= 80


def test_ok_needs_targets_and_no_problems(tr):
    assert tr("keep recall").ok
    assert not tr("max latency 3 s").ok
    assert not tr("keep recall; reduce noise").ok
    assert not tr("keep recall; increase latency").ok
