"""Goals that contradict themselves are reported before anything starts."""

from __future__ import annotations

import pytest

from manager.goals import wording


def conflict_only(t):
    assert not t.ok
    assert t.conflicts and not t.not_understood
    return t.conflicts


@pytest.mark.parametrize("text, metric, better, asks", [
    ("increase hallucinations", "hallucination_rate", "lower", "to raise it"),
    ("увеличить hallucination_rate", "hallucination_rate", "меньше", "поднять её"),
    ("reduce recall", "retrieval_recall", "higher", "to lower it"),
    ("повысить задержку", "latency_p95_s", "меньше", "поднять её"),
    ("recall < 50%", "retrieval_recall", "higher", "to lower it"),
    ("hallucinations above 10%", "hallucination_rate", "lower", "to raise it"),
    ("precision -5 pp", "retrieval_precision", "higher", "to lower it"),
])
def test_the_goal_asks_a_metric_to_move_the_wrong_way(tr, text, metric, better, asks):
    t = tr(text)
    assert conflict_only(t) == [wording.say(t.language, "direction", clause=text, metric=metric, better=better, asks=asks)]
    assert t.targets == []


def test_the_verb_and_the_number_disagree(tr):
    t = tr("увеличить recall на -10%")
    assert conflict_only(t) == [wording.say("ru", "sign_vs_verb", clause="увеличить recall на -10%", verb="увеличить",
                                            value="на -10%")]
    assert conflict_only(tr("reduce hallucinations above 3%"))[0].startswith("'reduce hallucinations above 3%': 'reduce'")


def test_lowering_quality_or_raising_cost(tr):
    assert "quality" in conflict_only(tr("reduce quality"))[0]
    assert "стоимост" in conflict_only(tr("увеличить стоимость"))[0]


@pytest.mark.parametrize("text", [
    "reduce hallucinations below 3%; reduce hallucinations below 2%",
    "increase recall by 10 points, keep recall",
    "снизить галлюцинации по личной памяти до 2%, галлюцинации по персональным фактам < 1%",
    "keep current quality; improve quality",
])
def test_two_targets_on_one_metric_and_segment(tr, text):
    conflicts = conflict_only(tr(text))
    assert len(conflicts) >= 1
    assert all("two different targets" in c or "две разные цели" in c for c in conflicts)


def test_the_same_metric_on_different_segments_is_no_conflict(tr):
    t = tr("reduce hallucinations on preferences below 3%, reduce hallucinations on events below 2%")
    assert t.ok and len(t.targets) == 2


def test_two_different_limits_on_one_metric(tr):
    conflicts = conflict_only(tr("max latency 3 s; latency at most 2 s"))
    assert conflicts == [wording.say("en", "duplicate_constraint", what="max_latency_p95_s",
                                     a="latency P95 at most 3 s", b="latency P95 at most 2 s")]


def test_a_goal_against_its_own_limit(tr):
    t = tr("increase latency; max latency 1 s")
    conflicts = conflict_only(t)
    assert wording.say("en", "against_limit", clause="increase latency", metric="latency_p95_s",
                       limit="latency P95 at most 1 s") in conflicts
    # the same wish without a limit is only the direction conflict
    assert len(conflict_only(tr("increase latency"))) == 1
    # a target looser than the limit is not a conflict
    assert tr("reduce latency below 2 s; max latency 1 s").ok


def test_a_factor_both_allowed_and_frozen(tr):
    t = tr("только top_k и score_cutoff, не трогать top_k, снизить галлюцинации")
    assert conflict_only(t) == [wording.say("ru", "allowed_and_frozen", words="top_k")]


@pytest.mark.parametrize("text", [
    "reduce hallucinations; don't touch top_k, score_cutoff, abstain_threshold and context_budget",
    "reduce hallucinations; only tune top_k; never change top_k",
])
def test_everything_frozen(tr, text):
    conflicts = conflict_only(tr(text))
    assert any("nothing left to tune" in c for c in conflicts)


def test_frozen_but_something_left_is_fine(tr):
    t = tr("reduce hallucinations; only tune top_k and score_cutoff; never change score_cutoff")
    assert "nothing left to tune" not in " ".join(t.conflicts)


def test_two_autonomy_levels(tr):
    assert conflict_only(tr("increase recall automatically, with approval")) == [
        wording.say("en", "autonomy_twice", words="auto, approval")]


def test_two_orders_of_priority(tr):
    assert conflict_only(tr("повысить полноту; главное — качество; главное — дёшево")) == [
        wording.say("ru", "priorities_twice", words="качество, затем стоимость; стоимость, затем качество")]


@pytest.mark.parametrize("text", ["", "   ", "\n\t\n", ",;.", " и , and ", "пожалуйста", "please"])
def test_an_empty_goal(tr, text):
    t = tr(text)
    assert t.conflicts == [wording.say(t.language, "empty")]
    assert not t.ok and t.targets == []
