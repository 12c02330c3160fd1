"""What the Goal Translator says, in the goal's own language (Russian or English)."""

from __future__ import annotations

from store.models import TargetSpec

METRIC_LABELS: dict[str, tuple[str, str]] = {
    "hallucination_rate": ("галлюцинации", "hallucinations"),
    "retrieval_precision": ("точность", "precision"),
    "retrieval_recall": ("полнота", "recall"),
    "context_utilization": ("использование контекста", "context utilization"),
    "latency_p95_s": ("задержка P95", "latency P95"),
    "error_rate": ("ошибки", "error rate"),
}

# key -> (ru, en); fields are filled with str.format.
TEXTS: dict[str, tuple[str, str]] = {
    # not understood
    "unknown_words": ("не понял «{words}»", "did not understand '{words}'"),
    "unknown_segment": ("неизвестный сегмент «{words}»", "unknown segment '{words}'"),
    "unknown_factor": ("неизвестный импакт-фактор «{words}»", "unknown impact factor '{words}'"),
    "metric_not_factor": ("«{words}» — метрика, а не фактор; чтобы её не ухудшать, скажите «удержать {words}»",
                          "'{words}' is a metric, not a factor; to keep it from getting worse say 'keep {words}'"),
    "factor_not_metric": ("«{words}» — импакт-фактор: что и куда крутить, решает Учитель; назовите метрику "
                          "или скажите «только {words}» / «не трогать {words}»",
                          "'{words}' is an impact factor: the Teacher decides what to turn and which way; name a "
                          "metric, or say 'only tune {words}' / 'don't touch {words}'"),
    "no_factor": ("не назван ни один фактор", "no factor named"),
    "frozen_and_allowed": ("«только» и «не трогать» в одном предложении — разделите их",
                           "'only' and 'don't touch' in one clause: give them separately"),
    "no_metric": ("не названа метрика", "no metric named"),
    "no_action": ("непонятно, что сделать с {words}: снизить, увеличить, удержать или сравнение (< 3%)",
                  "what should happen to {words}? reduce, increase, keep, or a comparison (< 3%)"),
    "two_actions": ("два действия в одном предложении ({words}) — разделите их",
                    "two actions in one clause ({words}): give them separately"),
    "two_values": ("несколько чисел в одном предложении ({words}) — одно число на цель",
                   "more than one number in one clause ({words}): one number per target"),
    "value_without_metric": ("число «{words}» без метрики", "the number '{words}' has no metric"),
    "signed_level": ("«{words}»: знак бывает только у изменения («на +10%»)",
                     "'{words}': only a change takes a sign ('by +10%')"),
    "seconds_not_percent": ("«{words}»: задержка задаётся в секундах («3 с», «500 мс»)",
                            "'{words}': latency is given in seconds ('3 s', '500 ms')"),
    "out_of_range_seconds": ("«{words}»: время должно быть больше нуля", "'{words}': a time must be above zero"),
    "rate_not_seconds": ("«{words}»: доля задаётся в процентах или долях («3%», «0.03»)",
                         "'{words}': a rate is given in percent or as a fraction ('3%', '0.03')"),
    "out_of_range_rate": ("«{words}»: доля должна быть от 0 до 100%", "'{words}': a rate lies between 0 and 100%"),
    "times": ("«{words}»: изменения «в N раз» не поддерживаются — скажите «до 3%» или «на 2 п.п.»",
              "'{words}': changes 'N times' are not supported — say 'to 3%' or 'by 2 points'"),
    "relative_needs_verb": ("изменение «{words}» без направления: «увеличить …» или «снизить …»",
                            "the change '{words}' has no direction: 'increase …' or 'reduce …'"),
    "zero_change": ("изменение на 0 ничего не меняет — скажите «удержать»", "a change of 0 changes nothing: say 'keep'"),
    "hold_with_change": ("«удержать» и изменение «{words}» вместе не бывают", "'keep' and the change '{words}' do not go together"),
    "cost_value": ("у стоимости нет своей единицы: она измеряется задержкой P95 — «задержка не больше 3 с» "
                   "или «снизить задержку на 0.5 с»",
                   "cost has no unit of its own: it is measured as latency P95 — 'max latency 3 s' or "
                   "'reduce latency by 0.5 s'"),
    "cost_mixed": ("стоимость и метрики в одном предложении — разделите их",
                   "cost and metrics in one clause: give them separately"),
    "cost_no_verb": ("что сделать со стоимостью? например «оптимизировать стоимость»",
                     "what should happen to cost? e.g. 'optimize cost'"),
    "quality_level": ("у качества нет одного уровня — назовите метрику («точность выше 80%»)",
                      "quality has no single level: name a metric ('precision above 80%')"),
    "no_rule_target": ("в файлах правил нет цели по {words}", "the rule files have no target for {words}"),
    "limit_metric": ("ограничения бывают на задержку и на долю ошибок: «задержка не больше 3 с», «ошибки не выше 1%»",
                     "limits exist for latency and error rate: 'max latency 3 s', 'max error rate 1%'"),
    "limit_no_value": ("у ограничения нет числа", "the limit has no number"),
    "limit_lower": ("ограничение — это верхняя граница («не больше», «max», «<»)",
                    "a limit is an upper bound ('at most', 'max', '<')"),
    "limit_segment": ("ограничения действуют на весь сервис, без сегмента", "limits apply to the whole service, not to a segment"),
    "limit_one_metric": ("одно ограничение — одна метрика", "one limit, one metric"),
    "too_long": ("цель длиной {n} символов; читаю не больше {max} — сократите её",
                 "the goal is {n} characters long; at most {max} are read — shorten it"),
    # known lists
    "known_metrics": ("известные метрики: {words}", "known metrics: {words}"),
    "known_segments": ("известные сегменты: {words}", "known segments: {words}"),
    "known_factors": ("известные факторы: {words}", "known factors: {words}"),
    "known_forms": (
        "формы: «снизить X < 3%», «увеличить X по <сегменту> на +10%», «удержать X», «довести X до 80%», "
        "«оптимизировать стоимость при сохранении текущего качества», «не трогать <фактор>», «только <фактор>», "
        "«задержка не больше 3 с», «ошибки не выше 1%», «без подтверждения» / «с подтверждением» / «вручную», "
        "«главное — качество» / «главное — дёшево»",
        "forms: 'reduce X below 3%', 'increase X on <segment> by +10 points', 'keep X', 'bring X to 80%', "
        "'optimize cost while keeping current quality', 'don't touch <factor>', 'only tune <factor>', "
        "'max latency 3 s', 'max error rate 1%', 'automatically' / 'with approval' / 'manual', "
        "'quality first' / 'cheap first'"),
    "none": ("нет", "none"),
    # conflicts
    "direction": ("«{clause}»: у {metric} чем {better}, тем лучше (файлы правил), а цель просит {asks}",
                  "'{clause}': for {metric} {better} is better (rule files), but the goal asks {asks}"),
    "sign_vs_verb": ("«{clause}»: «{verb}», а изменение {value}", "'{clause}': '{verb}' with the change {value}"),
    "duplicate_target": ("{metric}: две разные цели — {a} («{ca}») и {b} («{cb}»); у кампании одна цель на метрику "
                         "и сегмент — оставьте одну",
                         "{metric}: two different targets — {a} ('{ca}') and {b} ('{cb}'); a campaign has one target "
                         "per metric and segment — keep one"),
    "duplicate_constraint": ("{what}: два разных ограничения — {a} и {b}", "{what}: two different limits — {a} and {b}"),
    "against_limit": ("«{clause}» просит {metric} выше, чем разрешает ограничение «{limit}»",
                      "'{clause}' asks {metric} to rise, against the limit '{limit}'"),
    "autonomy_twice": ("уровень автономии задан по-разному: {words}", "the autonomy level is given differently: {words}"),
    "priorities_twice": ("приоритеты заданы по-разному: {words}", "priorities are given differently: {words}"),
    "allowed_and_frozen": ("{words}: одновременно «только» и «не трогать»", "{words}: both 'only' and 'don't touch'"),
    "all_frozen": ("заморожены все факторы ({words}) — менять нечего", "every factor is frozen ({words}): nothing left to tune"),
    "empty": ("пустая цель: нечего переводить", "empty goal: nothing to translate"),
    # notes
    "cost_measure": ("стоимость измеряется задержкой P95: токены контекста определяют и цену, и задержку; "
                     "цель — задержка P95 на {cut} ниже текущей",
                     "cost is measured as latency P95: context tokens drive both the price and the latency; "
                     "the target is latency P95 {cut} below the current value"),
    "cost_without_hold": ("качество не удерживается — добавьте «при сохранении текущего качества», чтобы оно не падало",
                          "quality is not held — add 'while keeping current quality' so that it cannot fall"),
    "percent_as_points": ("«{words}» прочитано как {value} к текущему значению (процентные пункты)",
                          "'{words}' read as {value} over the current value (percentage points)"),
    "bare_percent": ("«{words}» прочитано как {value}", "'{words}' read as {value}"),
    "bare_seconds": ("«{words}» прочитано как секунды", "'{words}' read as seconds"),
    "explicit_over_group": ("{metric}: явная цель заменяет цель из «{clause}»",
                            "{metric}: the explicit target replaces the one from '{clause}'"),
    "duplicate_same": ("{metric}: одна и та же цель названа дважды", "{metric}: the same target is given twice"),
    "limit_binds": ("ограничение «{limit}» строже цели {target}: действует ограничение",
                    "the limit '{limit}' is stricter than the target {target}: the limit applies"),
    "relative_later": ("цели «к текущему значению» станут числами при первой оценке кампании",
                       "targets relative to the current value become numbers at the campaign's first evaluation"),
    "no_target": ("нет целевой метрики: скажите, что улучшить", "no target metric: say what to improve"),
    # summary
    "goal": ("Цель", "Goal"),
    "campaign": ("Кампания", "Campaign"),
    "targets": ("Целевые метрики", "Targets"),
    "factors": ("Факторы", "Factors"),
    "factors_all": ("все, что разрешают правила", "all that the policy allows"),
    "factors_only": ("только {words}", "only {words}"),
    "frozen": ("Не трогать", "Frozen"),
    "constraints": ("Ограничения", "Constraints"),
    "autonomy": ("Автономия", "Autonomy"),
    "autonomy_unset": ("как в файлах правил (не задана)", "as the rule files say (not stated)"),
    "priorities": ("Приоритеты", "Priorities"),
    "understood": ("Понято", "Understood"),
    "not_understood": ("Не понято", "Not understood"),
    "conflicts": ("Конфликты", "Conflicts"),
    "notes": ("Заметки", "Notes"),
    "ready": ("Готово: подтвердите, чтобы начать кампанию", "Ready: confirm to start the campaign"),
    "not_ready": ("Не готово: исправьте цель", "Not ready: fix the goal"),
    "empty_name": ("пустая цель", "empty goal"),
}

# Keys of TEXTS that say why a clause was not understood (each run lists what is known instead).
NOT_UNDERSTOOD = frozenset({
    "unknown_words", "unknown_segment", "unknown_factor", "metric_not_factor", "factor_not_metric", "no_factor",
    "frozen_and_allowed", "no_metric", "no_action", "two_actions", "two_values", "value_without_metric",
    "signed_level", "times", "seconds_not_percent", "out_of_range_seconds", "rate_not_seconds", "out_of_range_rate",
    "relative_needs_verb", "zero_change", "hold_with_change", "cost_value", "cost_mixed", "cost_no_verb",
    "quality_level", "no_rule_target", "limit_metric", "limit_no_value", "limit_lower", "limit_segment",
    "limit_one_metric", "too_long"})

AUTONOMY_LABELS = {
    "auto": ("auto — без подтверждения", "auto — without approval"),
    "approval": ("approval — с подтверждением", "approval — after a human approves"),
    "manual": ("manual — только вручную", "manual — by hand only"),
}
QUALITY_LABEL = ("качество", "quality")
PRIORITY_LABELS = {"quality": ("качество", "quality"), "cost": ("стоимость", "cost")}


def say(lang: str, key: str, **fields: object) -> str:
    ru, en = TEXTS[key]
    return (ru if lang == "ru" else en).format(**fields)


def pick(lang: str, pair: tuple[str, str]) -> str:
    return pair[0] if lang == "ru" else pair[1]


def number(x: float) -> str:
    text = f"{x:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def amount(metric: str, x: float, lang: str) -> str:
    """A level in the metric's unit: 3%, 0.5 s."""
    if metric.endswith("_s"):
        return f"{number(x)} {'с' if lang == 'ru' else 's'}"
    return f"{number(x * 100)}%"


def change(metric: str, x: float, lang: str) -> str:
    """A change in the metric's unit: +10 pp, -0.1 s."""
    sign = "+" if x >= 0 else "-"
    if metric.endswith("_s"):
        return f"{sign}{number(abs(x))} {'с' if lang == 'ru' else 's'}"
    return f"{sign}{number(abs(x) * 100)} {'п.п.' if lang == 'ru' else 'pp'}"


def metric_name(metric: str, segment: str | None) -> str:
    return metric + (f" [{segment}]" if segment else "")


def describe_target(t: TargetSpec, lang: str) -> str:
    ru = lang == "ru"
    lower = t.direction == "lower_is_better"
    rel = t.relative_to_baseline
    if rel is None:
        what = (("ниже " if lower else "выше ") if ru else ("below " if lower else "above ")) + amount(t.metric, t.target, lang)
    elif rel == 0:
        what = "не хуже текущего значения" if ru else "no worse than the current value"
    else:
        by = change(t.metric, rel, lang).lstrip("+-")
        if ru:
            what = f"на {by} {'выше' if rel > 0 else 'ниже'} текущего значения"
        else:
            what = f"{by} {'above' if rel > 0 else 'below'} the current value"
    threshold = change(t.metric, t.threshold, lang).lstrip("+")
    tail = f"порог {threshold}, {t.priority}" if ru else f"threshold {threshold}, {t.priority}"
    return f"{metric_name(t.metric, t.segment)}: {what} ({tail})"


def describe_constraint(key: str, value: float, lang: str) -> str:
    metric = key.removeprefix("max_")
    label = pick(lang, METRIC_LABELS.get(metric, (metric, metric)))
    return f"{label} {'не больше' if lang == 'ru' else 'at most'} {amount(metric, value, lang)}"


def describe_priorities(priorities: list[str], lang: str) -> str:
    labels = [pick(lang, PRIORITY_LABELS.get(p, (p, p))) for p in priorities]
    return (", затем " if lang == "ru" else ", then ").join(labels)


def known_metrics(metrics: list[str], lang: str) -> str:
    words = ", ".join(m + (f" ({pick(lang, METRIC_LABELS[m])})" if m in METRIC_LABELS else "") for m in metrics)
    return say(lang, "known_metrics", words=words or say(lang, "none"))


def known_list(key: str, names: list[str], lang: str) -> str:
    return say(lang, key, words=", ".join(names) or say(lang, "none"))
