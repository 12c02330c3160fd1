"""The forms the translator knows: verbs, metric names, segments, comparisons, units,
factor rules, limits, autonomy and priorities, in both languages."""

from __future__ import annotations

import pytest


def only_target(t):
    assert t.ok, t.summary()
    assert len(t.targets) == 1, t.targets
    return t.targets[0]


@pytest.mark.parametrize("text, metric", [
    ("снизить hallucination_rate", "hallucination_rate"), ("reduce hallucinations", "hallucination_rate"),
    ("уменьшить галлюцинации", "hallucination_rate"), ("lower the hallucination rate", "hallucination_rate"),
    ("повысить retrieval_precision", "retrieval_precision"), ("increase precision", "retrieval_precision"),
    ("увеличить точность", "retrieval_precision"), ("raise retrieval precision", "retrieval_precision"),
    ("увеличить retrieval_recall", "retrieval_recall"), ("improve recall", "retrieval_recall"),
    ("повысить полноту", "retrieval_recall"), ("улучшить полноту поиска", "retrieval_recall"),
    ("increase context_utilization", "context_utilization"), ("improve context utilization", "context_utilization"),
    ("повысить использование контекста", "context_utilization"),
    ("снизить latency_p95_s", "latency_p95_s"), ("reduce latency", "latency_p95_s"),
    ("уменьшить задержку", "latency_p95_s"), ("понизить латентность", "latency_p95_s"),
    ("reduce p95 latency", "latency_p95_s"), ("снизить error_rate", "error_rate"),
    ("reduce the error rate", "error_rate"), ("уменьшить ошибки", "error_rate"), ("cut errors", "error_rate"),
])
def test_metric_names_and_verbs_without_a_number_take_the_rule_files_target(tr, default_of, text, metric):
    assert only_target(tr(text)) == default_of(metric)


@pytest.mark.parametrize("text, metric, target", [
    ("снизить галлюцинации < 3%", "hallucination_rate", 0.03),
    ("снизить галлюцинации ниже 3%", "hallucination_rate", 0.03),
    ("снизить галлюцинации до 3%", "hallucination_rate", 0.03),
    ("reduce hallucinations below 3 %", "hallucination_rate", 0.03),
    ("reduce hallucinations to at most 0.03", "hallucination_rate", 0.03),
    ("reduce hallucinations under 2.5%", "hallucination_rate", 0.025),
    ("снизить галлюцинации до 2,5%", "hallucination_rate", 0.025),
    ("галлюцинации <= 3 процента", "hallucination_rate", 0.03),
    ("precision > 80%", "retrieval_precision", 0.80),
    ("повысить точность выше 85%", "retrieval_precision", 0.85),
    ("increase precision to at least 0.85", "retrieval_precision", 0.85),
    ("довести полноту до 75%", "retrieval_recall", 0.75),
    ("bring recall to 75%", "retrieval_recall", 0.75),
    ("keep recall at 70%", "retrieval_recall", 0.70),
    ("удержать полноту на уровне 70%", "retrieval_recall", 0.70),
    ("снизить задержку до 2 с", "latency_p95_s", 2.0),
    ("снизить задержку до 1500 мс", "latency_p95_s", 1.5),
    ("reduce latency below 800 ms", "latency_p95_s", 0.8),
    ("reduce latency to 2 seconds", "latency_p95_s", 2.0),
    ("понизить задержку ниже 2 сек", "latency_p95_s", 2.0),
    ("target latency < 2 s", "latency_p95_s", 2.0),
    ("снизить ошибки до 0.5%", "error_rate", 0.005),
])
def test_comparison_forms_and_units_set_the_target(tr, default_of, text, metric, target):
    assert only_target(tr(text)) == default_of(metric).model_copy(update={"target": target})


@pytest.mark.parametrize("text, metric, relative", [
    ("увеличить recall на +10%", "retrieval_recall", 0.10),
    ("увеличить полноту на 10 п.п.", "retrieval_recall", 0.10),
    ("increase recall by 10 points", "retrieval_recall", 0.10),
    ("increase recall by 10 percentage points", "retrieval_recall", 0.10),
    ("снизить галлюцинации на 2 п.п.", "hallucination_rate", -0.02),
    ("reduce hallucinations by 2 pp", "hallucination_rate", -0.02),
    ("improve hallucinations by 2 pp", "hallucination_rate", -0.02),
    ("recall +5 pp", "retrieval_recall", 0.05),
    ("снизить задержку на 0.5 с", "latency_p95_s", -0.5),
    ("reduce latency by 300 ms", "latency_p95_s", -0.3),
])
def test_changes_are_relative_to_the_current_value(tr, default_of, text, metric, relative):
    t = only_target(tr(text))
    assert t == default_of(metric).model_copy(update={"relative_to_baseline": pytest.approx(relative)})


def test_percent_change_is_read_as_points_and_said_so(tr):
    t = tr("увеличить recall на +10%")
    assert any("+10 п.п." in n for n in t.notes)
    assert not any("п.п." in n and "прочитано" in n for n in tr("увеличить recall на 10 п.п.").notes)


def test_a_bare_number_is_read_as_percent_and_said_so(tr):
    t = tr("reduce hallucinations below 3")
    assert t.targets[0].target == 0.03
    assert any("'below 3' read as 3%" in n for n in t.notes)


@pytest.mark.parametrize("text", [
    "удержать полноту", "сохранить точность", "keep recall", "maintain precision", "hold context utilization",
    "recall не хуже текущего", "keep recall at the current level", "keep recall unchanged", "не снижать полноту",
    "don't reduce recall",
])
def test_keep_means_no_worse_than_now(tr, text):
    t = only_target(tr(text))
    assert t.relative_to_baseline == 0.0
    assert t.direction == "higher_is_better"


@pytest.mark.parametrize("text", ["не увеличивать задержку", "don't increase latency", "keep latency"])
def test_keep_a_lower_is_better_metric(tr, default_of, text):
    assert only_target(tr(text)) == default_of("latency_p95_s").model_copy(update={"relative_to_baseline": 0.0})


@pytest.mark.parametrize("text, segment", [
    ("снизить галлюцинации по персональной памяти", "personal_facts"),
    ("снизить галлюцинации по личным фактам", "personal_facts"),
    ("reduce hallucinations for personal memory", "personal_facts"),
    ("reduce hallucinations in personal_facts", "personal_facts"),
    ("reduce hallucinations in personal facts", "personal_facts"),
    ("увеличить recall по preferences", "preferences"),
    ("увеличить полноту по предпочтениям", "preferences"),
    ("increase recall on preferences", "preferences"),
    ("increase recall for the preferences segment", "preferences"),
    ("повысить точность по событиям", "events"),
    ("increase precision in events", "events"),
])
def test_segments(tr, text, segment):
    assert only_target(tr(text)).segment == segment


def test_a_segment_word_is_known_only_if_that_segment_exists(tr):
    assert tr("increase recall on preferences", segments=["events"]).not_understood


def test_several_metrics_and_segments_share_the_verb_and_the_number(tr):
    t = tr("увеличить precision и recall по предпочтениям и событиям на 5 п.п.")
    assert t.ok, t.summary()
    assert [(x.metric, x.segment, x.relative_to_baseline) for x in t.targets] == [
        ("retrieval_precision", "preferences", 0.05), ("retrieval_precision", "events", 0.05),
        ("retrieval_recall", "preferences", 0.05), ("retrieval_recall", "events", 0.05)]
    assert len(t.understood) == 1


def test_separate_clauses_stay_separate(tr):
    t = tr("снизить галлюцинации < 3% и ошибки не выше 1%")
    assert [x.metric for x in t.targets] == ["hallucination_rate"]
    assert t.constraints == {"max_error_rate": 0.01}


@pytest.mark.parametrize("text, frozen", [
    ("не трогать top_k", ["top_k"]), ("нельзя менять context_budget", ["context_budget"]),
    ("don't touch context_budget", ["context_budget"]), ("never change score_cutoff", ["score_cutoff"]),
    ("do not tune top_k and abstain_threshold", ["top_k", "abstain_threshold"]),
    ("не трогать top_k, score_cutoff", ["top_k", "score_cutoff"]),
    ("leave top-k alone", ["top_k"]), ("keep context budget fixed", ["context_budget"]),
    ("заморозить бюджет контекста", ["context_budget"]), ("freeze top k", ["top_k"]),
])
def test_frozen_factors(tr, text, frozen):
    t = tr(text)
    assert t.frozen_factors == frozen and t.allowed_factors == []
    assert not t.not_understood and not t.conflicts


@pytest.mark.parametrize("text, allowed", [
    ("только top_k и score_cutoff", ["top_k", "score_cutoff"]), ("менять только top_k", ["top_k"]),
    ("only tune top_k", ["top_k"]), ("only top_k, score_cutoff and abstain_threshold",
                                      ["top_k", "score_cutoff", "abstain_threshold"]),
    ("allowed factors: top_k", ["top_k"]), ("можно менять только порог отказа", ["abstain_threshold"]),
])
def test_allowed_factors(tr, text, allowed):
    t = tr(text)
    assert t.allowed_factors == allowed and t.frozen_factors == []
    assert not t.not_understood and not t.conflicts


@pytest.mark.parametrize("text, constraints", [
    ("max latency 3 s", {"max_latency_p95_s": 3.0}), ("максимальная задержка 3 сек", {"max_latency_p95_s": 3.0}),
    ("задержка не больше 3 с", {"max_latency_p95_s": 3.0}), ("latency at most 2500 ms", {"max_latency_p95_s": 2.5}),
    ("latency should not exceed 3 s", {"max_latency_p95_s": 3.0}), ("keep latency under 3 s", {"max_latency_p95_s": 3.0}),
    ("ограничить задержку 3 с", {"max_latency_p95_s": 3.0}), ("limit latency to 3 s", {"max_latency_p95_s": 3.0}),
    ("ошибки не выше 1%", {"max_error_rate": 0.01}), ("max error rate 1%", {"max_error_rate": 0.01}),
    ("error rate no more than 0.005", {"max_error_rate": 0.005}), ("доля ошибок не более 1 %", {"max_error_rate": 0.01}),
])
def test_limits(tr, text, constraints):
    t = tr(text)
    assert t.constraints == constraints and t.targets == []
    assert not t.not_understood and not t.conflicts
    assert len(t.understood) == 1


@pytest.mark.parametrize("text, autonomy", [
    ("без подтверждения", "auto"), ("автоматически", "auto"), ("automatically", "auto"),
    ("without approval", "auto"), ("с подтверждением", "approval"), ("после подтверждения", "approval"),
    ("with approval", "approval"), ("ask me first", "approval"), ("вручную", "manual"),
    ("только вручную", "manual"), ("manual", "manual"), ("manually", "manual"),
])
def test_autonomy(tr, text, autonomy):
    t = tr("increase recall, " + text)
    assert t.ok, t.summary()
    assert t.autonomy == autonomy


def test_autonomy_inside_a_target_clause(tr):
    t = tr("снизить галлюцинации < 3% без подтверждения")
    assert t.ok and t.autonomy == "auto" and t.targets[0].target == 0.03


@pytest.mark.parametrize("text, priorities", [
    ("главное — качество памяти", ["quality", "cost"]), ("главное - качество", ["quality", "cost"]),
    ("качество важнее стоимости", ["quality", "cost"]), ("quality first", ["quality", "cost"]),
    ("quality over cost", ["quality", "cost"]), ("главное — дёшево", ["cost", "quality"]),
    ("главное - дешево", ["cost", "quality"]), ("cheap first", ["cost", "quality"]),
    ("cost first", ["cost", "quality"]), ("главное — качество, затем стоимость", ["quality", "cost"]),
])
def test_priorities(tr, text, priorities):
    t = tr("increase recall; " + text)
    assert t.ok, t.summary()
    assert t.priorities == priorities


def test_stated_priorities_win_over_the_cost_goals_own(tr):
    assert tr("optimize cost, quality first").priorities == ["quality", "cost"]


def test_a_named_metric_replaces_the_one_quality_implies(tr):
    t = tr("optimize cost while keeping current quality; increase recall by 5 pp")
    assert t.ok, t.summary()
    recall = [x for x in t.targets if x.metric == "retrieval_recall"]
    assert [x.relative_to_baseline for x in recall] == [0.05]
    assert any("retrieval_recall" in n and "replaces" in n for n in t.notes)


def test_the_same_target_twice_is_one_target(tr):
    t = tr("reduce hallucinations below 3%; reduce hallucinations below 3%")
    assert t.ok and len(t.targets) == 1
    assert any("twice" in n for n in t.notes)


def test_a_target_looser_than_a_limit_is_fine_and_the_limit_is_named(tr):
    t = tr("target latency < 2 s and max latency 1 s")
    assert t.ok, t.summary()
    assert t.targets[0].target == 2.0 and t.constraints == {"max_latency_p95_s": 1.0}
    assert any("stricter" in n for n in t.notes)


def test_a_goal_of_only_limits_has_no_target_and_says_so(tr):
    t = tr("задержка не больше 3 с")
    assert not t.ok
    assert not t.not_understood and not t.conflicts
    assert any("нет целевой метрики" in n for n in t.notes)


def test_other_metrics_from_the_rule_files_are_known_by_their_id(tr, defaults):
    extra = defaults + [defaults[0].model_copy(update={"metric": "answer_toxicity"})]
    t = tr("reduce answer_toxicity below 1%", defaults=extra)
    assert only_target(t).metric == "answer_toxicity"
    assert "answer_toxicity" in tr("reduce noise", defaults=extra).not_understood[0]


def test_per_segment_rule_file_targets_do_not_hide_the_metric(tr, defaults):
    scoped = [t.model_copy(update={"segment": "events", "target": 0.5}) for t in defaults] + defaults
    assert only_target(tr("increase recall", defaults=scoped)).target == 0.70


def test_a_rule_files_per_segment_target_is_the_default_for_that_segment(tr, defaults):
    scoped = defaults + [defaults[0].model_copy(update={"segment": "personal_facts", "target": 0.03, "threshold": 0.01})]
    t = tr("reduce hallucinations for personal memory; reduce hallucinations on events", defaults=scoped)
    assert [(x.segment, x.target, x.threshold) for x in t.targets] == [("personal_facts", 0.03, 0.01), ("events", 0.05, 0.02)]
