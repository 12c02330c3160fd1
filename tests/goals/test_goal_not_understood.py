"""What the translator cannot read, it refuses by clause, and says what it knows instead."""

from __future__ import annotations

import pytest

from manager.goals import MAX_GOAL_CHARS, wording

FORMS = {"en": wording.say("en", "known_forms"), "ru": wording.say("ru", "known_forms")}


# (text, reason key, fields of the reason, what must be listed as known)
CASES = [
    ("reduce noise", "unknown_words", {"words": "noise"}, ("metrics", "forms")),
    ("снизить шум", "unknown_words", {"words": "шум"}, ("metrics", "forms")),
    ("reduce hallucinations for work memory below 2%", "unknown_segment", {"words": "work memory"}, ("segments",)),
    ("снизить галлюцинации по рабочей памяти", "unknown_segment", {"words": "рабочей памяти"}, ("segments",)),
    ("не трогать модели и RLS", "unknown_factor", {"words": "модели и rls"}, ("factors",)),
    ("don't touch the embeddings", "unknown_factor", {"words": "embeddings"}, ("factors",)),
    ("не трогать recall", "metric_not_factor", {"words": "recall"}, ("factors",)),
    ("reduce top_k", "factor_not_metric", {"words": "top_k"}, ("factors", "metrics")),
    ("don't touch", "no_factor", {}, ("factors",)),
    ("only tune top_k never change score_cutoff", "frozen_and_allowed", {}, ("factors",)),
    ("reduce", "no_metric", {}, ("metrics", "forms")),
    ("recall", "no_action", {"words": "retrieval_recall"}, ("metrics", "forms")),
    ("recall 80%", "no_action", {"words": "retrieval_recall"}, ("metrics", "forms")),
    ("reduce increase recall", "two_actions", {"words": "reduce, increase"}, ("forms",)),
    ("reduce hallucinations below 3% below 2%", "two_values", {"words": "below 3%, below 2%"}, ("forms",)),
    ("below 3%", "value_without_metric", {"words": "below 3%"}, ("metrics", "forms")),
    ("reduce hallucinations below -3%", "signed_level", {"words": "below -3%"}, ("forms",)),
    ("снизить галлюцинации в 2 раза", "times", {"words": "2 раза"}, ("forms",)),
    ("reduce latency 3 times", "times", {"words": "3 times"}, ("forms",)),
    ("reduce latency below 50%", "seconds_not_percent", {"words": "below 50%"}, ("forms",)),
    ("reduce latency below 0 s", "out_of_range_seconds", {"words": "below 0 s"}, ("forms",)),
    ("reduce hallucinations below 3 s", "rate_not_seconds", {"words": "below 3 s"}, ("forms",)),
    ("increase recall above 150%", "out_of_range_rate", {"words": "above 150%"}, ("forms",)),
    ("recall by 10 points", "relative_needs_verb", {"words": "by 10 points"}, ("forms",)),
    ("increase recall by 0 points", "zero_change", {}, ("forms",)),
    ("keep recall by 10 points", "hold_with_change", {"words": "by 10 points"}, ("forms",)),
    ("reduce cost below 3 s", "cost_value", {}, ("forms",)),
    ("limit cost", "cost_value", {}, ("forms",)),
    ("reduce cost and latency", "cost_mixed", {}, ("forms",)),
    ("cost", "cost_no_verb", {}, ("forms",)),
    ("keep quality above 80%", "quality_level", {}, ("metrics", "forms")),
    ("limit recall to 80%", "limit_metric", {}, ("forms",)),
    ("limit latency", "limit_no_value", {}, ("forms",)),
    ("limit latency to at least 1 s", "limit_lower", {}, ("forms",)),
    ("max latency 3 s for preferences", "limit_segment", {}, ("forms",)),
    ("max latency error rate 3", "limit_one_metric", {}, ("forms",)),
]


@pytest.mark.parametrize("text, key, fields, lists", CASES, ids=[c[0] for c in CASES])
def test_each_refusal_says_why_and_what_is_known(tr, text, key, fields, lists):
    t = tr(text)
    lang = t.language
    assert not t.ok and t.targets == []
    assert len(t.not_understood) == 1, t.not_understood
    line = t.not_understood[0]
    assert wording.say(lang, key, **fields) in line
    expected = {
        "metrics": "known metrics: hallucination_rate (hallucinations), retrieval_precision (precision), retrieval_recall "
                   "(recall), context_utilization (context utilization), latency_p95_s (latency P95), error_rate (error rate)",
        "segments": "known segments: preferences, personal_facts, events",
        "factors": "known factors: top_k, score_cutoff, abstain_threshold, context_budget",
        "forms": FORMS["en"],
    }
    expected_ru = {
        "metrics": "известные метрики: hallucination_rate (галлюцинации)",
        "segments": "известные сегменты: preferences, personal_facts, events",
        "factors": "известные факторы: top_k, score_cutoff, abstain_threshold, context_budget",
        "forms": FORMS["ru"],
    }
    for kind in lists:
        assert (expected if lang == "en" else expected_ru)[kind] in line, (kind, line)


def test_every_kind_of_refusal_is_covered_here():
    covered = {key for _, key, _, _ in CASES} | {"no_rule_target", "too_long"}
    assert covered == wording.NOT_UNDERSTOOD


def test_cost_without_a_latency_target_in_the_rule_files(tr, defaults):
    t = tr("optimize cost", defaults=[d for d in defaults if d.metric != "latency_p95_s"])
    assert t.targets == [] and len(t.not_understood) == 1
    assert wording.say("en", "no_rule_target", words="latency_p95_s") in t.not_understood[0]
    assert "known metrics: hallucination_rate" in t.not_understood[0]


def test_a_metric_the_rule_files_lack_is_unknown(tr, defaults):
    t = tr("increase context utilization", defaults=[d for d in defaults if d.metric != "context_utilization"])
    assert t.targets == [] and t.not_understood
    assert "context_utilization" not in t.not_understood[0].split("known metrics:")[1]


def test_too_long_a_goal_is_refused_whole(tr):
    text = "reduce hallucinations below 3%; " * (MAX_GOAL_CHARS // 20)
    t = tr(text)
    assert t.targets == [] and t.understood == []
    assert t.not_understood == [wording.say("en", "too_long", n=len(text.strip()), max=MAX_GOAL_CHARS)]


def test_a_clause_not_understood_gives_nothing_but_the_others_still_do(tr):
    t = tr("снизить галлюцинации < 3%, снизить шум по рабочей памяти, не трогать top_k")
    assert [x.metric for x in t.targets] == ["hallucination_rate"]
    assert t.frozen_factors == ["top_k"]
    assert len(t.not_understood) == 1 and "шум" in t.not_understood[0]
    assert not t.ok


def test_a_partly_understood_clause_is_refused_whole(tr):
    # the segment is unknown: an unscoped target would be a different goal
    t = tr("reduce hallucinations for work memory below 2%")
    assert t.targets == []


def test_empty_segment_list_names_none(tr):
    t = tr("increase recall on preferences", segments=[])
    assert "known segments: none" in t.not_understood[0]


def test_refusals_quote_the_clause_as_typed(tr):
    t = tr("Снизить ШУМ")
    assert t.not_understood[0].startswith("«Снизить ШУМ»: ")
    assert tr("Reduce NOISE").not_understood[0].startswith("'Reduce NOISE': ")
