"""The words the Goal Translator knows, in Russian and English.

Every pattern runs on normalised text (lower case, ё→е, dashes as "-", decimal
comma as a point). Russian words are matched by stem, so that «снизить»,
«снижение» and «снизь» are one verb. Patterns are tried in list order: longer
phrases come before the words they contain.
"""

from __future__ import annotations

import re
from functools import lru_cache


def phrase(*alternatives: str) -> re.Pattern[str]:
    """A regex that matches one of the alternatives as whole words."""
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


# --- what the human asks for ---------------------------------------------------------

# (kind, pattern). hold_below: "don't let it grow"; hold_above: "don't let it fall".
VERBS: list[tuple[str, re.Pattern[str]]] = [
    ("hold_below", phrase(
        r"не\s+(?:увелич\w*|повы[сш]\w*|подн[яи]\w*|раст\w*|раздува\w*)",
        r"без\s+(?:увеличени\w*|роста|повышени\w*)",
        r"(?:don'?t|do\s+not|never|without|not)\s+(?:increas\w*|rais\w*|grow\w*)")),
    ("hold_above", phrase(
        r"не\s+(?:сни[зж]\w*|уменьш\w*|пониз\w*|пониж\w*|роня\w*)",
        r"без\s+(?:снижени\w*|падени\w*|уменьшени\w*)",
        r"(?:don'?t|do\s+not|never|without|not)\s+(?:reduc\w*|lower\w*|decreas\w*|drop\w*)")),
    ("hold", phrase(
        r"не\s+(?:ухудш\w*|теря\w*|потеря\w*)",
        r"без\s+(?:потер\w*|ухудшени\w*)",
        r"(?:don'?t|do\s+not|never|without|not)\s+(?:los\w*|hurt\w*|degrad\w*|sacrific\w*|worsen\w*|harm\w*)",
        r"при\s+сохранени\w*", r"сохран\w*", r"удерж\w*", r"поддерж\w*", r"держ(?:ать|и|ите|им)",
        r"keep(?:s|ing)?", r"hold(?:s|ing)?", r"maintain\w*", r"preserv\w*", r"retain\w*", r"sustain\w*")),
    ("decrease", phrase(
        r"сни[зж]\w*", r"уменьш\w*", r"пониз\w*", r"пониж\w*", r"сократ\w*", r"сокращ\w*", r"минимиз\w*",
        r"reduc\w*", r"lower(?:ing|s)?(?!\s+than)", r"decreas\w*", r"cut(?:s|ting)?", r"minimi[sz]\w*",
        r"bring\s+down", r"trim(?:s|ming)?")),
    ("increase", phrase(
        r"увелич\w*", r"повы[сш]\w*", r"подн[яи]\w*", r"нарасти\w*", r"наращ\w*", r"максимиз\w*",
        r"increas\w*", r"rais(?:e|es|ing)", r"boost\w*", r"maximi[sz]\w*", r"push\s+up", r"grow")),
    ("improve", phrase(r"улучш\w*", r"improv\w*", r"оптимиз\w*", r"optimi[sz]\w*")),
    ("target", phrase(
        r"цел(?:ь|и|ью|ев\w*)", r"довести", r"добиться", r"достичь", r"достигнуть",
        r"target(?:s|ed|ing)?", r"goal", r"achieve", r"reach", r"bring")),
    ("limit", phrase(r"огранич\w*", r"limit(?:s|ed|ing)?", r"cap(?:s|ped)?")),
]

COST = phrase(r"стоимост\w*", r"затрат\w*", r"расход\w*", r"cost(?:s)?", r"expenses?", r"spend(?:ing)?")
QUALITY = phrase(
    r"качеств\w*(?:\s+памяти)?", r"(?:memory\s+)?quality(?:\s+of\s+(?:the\s+)?memory)?")
CURRENT = phrase(
    r"(?:на|в)\s+текущем\s+уровне", r"at\s+(?:the\s+)?current\s+level",
    r"не\s+хуже\s+(?:текущ\w*|чем\s+сейчас|нынешн\w*)", r"no\s+worse\s+than\s+(?:now|today|current\w*|before)",
    r"(?:текущ\w*|нынешн\w*|существующ\w*|current(?:ly)?|existing|today'?s?)(?:\s+(?:уровн\w*|значени\w*|level|value))?",
    r"как\s+есть", r"as\s+(?:it\s+)?is", r"unchanged", r"без\s+изменени\w*", r"неизменн\w*", r"как\s+сейчас")

# --- campaign-level statements ----------------------------------------------------

AUTONOMY: list[tuple[str, re.Pattern[str]]] = [
    ("auto", phrase(
        r"без\s+(?:моего\s+|нашего\s+|ручного\s+)?(?:подтвержд\w*|согласовани\w*|одобрени\w*|апрува)",
        r"(?:полностью\s+)?автоматическ\w*", r"автоматом", r"автономно", r"(?:fully\s+)?automatic(?:ally)?",
        r"autonomous(?:ly)?", r"without\s+(?:human\s+)?(?:approval|confirmation|asking|sign-?off)",
        r"no\s+(?:human\s+)?approval(?:\s+(?:needed|required))?", r"autonomy\s*[:=-]?\s*auto",
        r"автономи\w*\s*[:=-]?\s*(?:авто\w*|полн\w*)")),
    ("approval", phrase(
        r"(?:только\s+)?(?:с|после|по)\s+(?:моего\s+|нашего\s+|ручного\s+)?(?:подтвержд\w*|одобрени\w*|согласовани\w*|апрува)",
        r"(?:only\s+)?(?:with|after|on|upon)\s+(?:my\s+|our\s+|human\s+|an?\s+)?(?:approval|confirmation|sign-?off)",
        r"ask(?:ing)?\s+(?:me\s+|us\s+)?first", r"(?:requires?|needs?)\s+(?:human\s+)?approval",
        r"approval\s+(?:required|needed)", r"спрашива\w*(?:\s+(?:меня|нас))?(?:\s+сначала)?",
        r"autonomy\s*[:=-]?\s*approval", r"автономи\w*\s*[:=-]?\s*подтвержд\w*")),
    ("manual", phrase(
        r"(?:только\s+)?вручную", r"(?:в\s+)?ручн\w+\s+режим\w*", r"(?:only\s+)?manual(?:ly)?(?:\s+mode)?",
        r"by\s+hand", r"autonomy\s*[:=-]?\s*manual", r"автономи\w*\s*[:=-]?\s*(?:нет|ручн\w*)")),
]

_FIRST = r"(?:\s*[-:]\s*|\s+)(?:это\s+)?"
PRIORITIES: list[tuple[tuple[str, ...], re.Pattern[str]]] = [
    (("quality", "cost"), phrase(
        r"главн\w*" + _FIRST + r"качеств\w*(?:\s+памяти)?",
        r"приоритет\w*" + _FIRST + r"качеств\w*(?:\s+памяти)?",
        r"качеств\w*(?:\s+памяти)?\s+(?:важнее(?:\s+(?:стоимост\w*|цены|экономии|дешевизны))?|в\s+приоритете|прежде\s+всего|на\s+первом\s+месте)",
        r"сначала\s+качеств\w*",
        r"(?:memory\s+)?quality\s+(?:first|over\s+cost|before\s+cost|matters\s+most|is\s+(?:the\s+)?(?:top\s+|main\s+)?priority)",
        r"prioriti[sz]e\s+(?:memory\s+)?quality", r"priority\s*(?:[:=-]|is)?\s*quality",
        r"(?:затем|потом|а\s+потом|then|after\s+that)\s+(?:стоимост\w*|дешев\w*|экономи\w*|cost|cheap\w*|price)")),
    (("cost", "quality"), phrase(
        r"главн\w*" + _FIRST + r"(?:дешев\w*|дешевизн\w*|стоимост\w*|экономи\w*|цен\w*)",
        r"приоритет\w*" + _FIRST + r"(?:дешев\w*|дешевизн\w*|стоимост\w*|экономи\w*)",
        r"(?:дешевизн\w*|стоимост\w*|экономи\w*)\s+(?:важнее(?:\s+качества)?|в\s+приоритете|прежде\s+всего|на\s+первом\s+месте)",
        r"сначала\s+(?:дешев\w*|стоимост\w*|экономи\w*)",
        r"(?:cheap(?:ness)?|cost|price|savings?)\s+(?:first|over\s+quality|before\s+quality|matters\s+most|is\s+(?:the\s+)?(?:top\s+|main\s+)?priority)",
        r"prioriti[sz]e\s+(?:cost|savings|cheapness|price)", r"priority\s*(?:[:=-]|is)?\s*(?:cost|cheap\w*)",
        r"(?:затем|потом|а\s+потом|then|after\s+that)\s+(?:качеств\w*(?:\s+памяти)?|(?:memory\s+)?quality)")),
]

# --- impact factors -----------------------------------------------------------------

FROZEN_STRONG = phrase(
    r"(?:не|нельзя|запрещено|запрещается)\s+(?:трога\w*|трогай\w*|меня\w*|меняй\w*|изменя\w*|измени\w*|тюни\w*|крути\w*|настраива\w*)",
    r"заморо[зж]\w*", r"зафиксир\w*",
    r"(?:don'?t|do\s+not|never|must\s+not|mustn'?t|cannot|can'?t|should\s+not|shouldn'?t)\s+(?:touch|change|tune|modify|alter|adjust)",
    r"freeze|frozen")
FROZEN_WEAK = phrase(r"leave", r"alone", r"unchanged", r"fixed", r"as\s+(?:it\s+)?is", r"без\s+изменени\w*",
                     r"неизменн\w*", r"как\s+есть", r"оставить", r"оставь\w*")
FACTOR_FILLER = phrase(r"keep(?:s|ing)?", r"держать", r"сохранить")
ALLOWED_STRONG = phrase(
    r"(?:менять|меняй\w*|тюнить|крутить|трогать|настраивать|изменять)\s+(?:только|лишь)",
    r"(?:только|лишь)\s+(?:менять|меняй\w*|тюнить|крутить|трогать|настраивать|изменять)",
    r"(?:можно|разрешено|разрешается)\s+(?:менять|тюнить|крутить|трогать|настраивать|изменять)(?:\s+только)?",
    r"разрешенн\w*\s+(?:фактор\w*|параметр\w*)",
    r"only\s+(?:tune|change|touch|adjust|vary|modify)", r"(?:tune|change|touch|adjust|vary|modify)\s+only",
    r"allowed\s+(?:factors?|parameters?)", r"may\s+(?:only\s+)?(?:tune|change|touch|adjust)")
ALLOWED_WEAK = phrase(r"только", r"лишь", r"only")
FACTOR_WORDS = phrase(r"фактор\w*", r"параметр\w*", r"factors?", r"parameters?", r"impact", r"импакт")

# Russian names of the embedded MaaS's factors; a name is used only if the factor exists.
FACTOR_SYNONYMS: dict[str, list[str]] = {
    "top_k": [r"top[ -]?k", r"топ[ -]?[kк]"],
    "score_cutoff": [r"порог\w*\s+(?:релевантност\w*|score)", r"отсечк\w*(?:\s+по\s+score)?", r"cut[ -]?off"],
    "abstain_threshold": [r"порог\w*\s+(?:отказа|воздержани\w*)", r"abstention\s+threshold"],
    "context_budget": [r"бюджет\w*\s+контекста", r"бюджет\w*"],
}

# --- metrics and segments ---------------------------------------------------------

METRIC_SYNONYMS: dict[str, list[str]] = {
    "hallucination_rate": [r"(?:(?:доля|долю|частот\w*|уров\w*)\s+)?галлюцинац\w*", r"hallucinations?(?:\s+rate)?"],
    "retrieval_precision": [r"точност\w*(?:\s+(?:поиска|извлечения|retrieval))?", r"(?:retrieval\s+)?precision"],
    "retrieval_recall": [r"полнот\w*(?:\s+(?:поиска|извлечения|retrieval))?", r"(?:retrieval\s+)?recall"],
    "context_utilization": [r"(?:использовани\w*|утилизаци\w*)\s+контекста", r"context\s+(?:utili[sz]ation|use|usage)"],
    "latency_p95_s": [r"(?:p95\s+)?(?:задержк\w*|латентност\w*|latency|время\s+ответа|response\s+time)(?:\s+p95)?",
                      r"p95"],
    "error_rate": [r"(?:(?:доля|долю|частот\w*|уров\w*)\s+)?ошиб\w*", r"error(?:s|\s+rate)?", r"failure(?:s|\s+rate)?"],
}

SEGMENT_SYNONYMS: dict[str, list[str]] = {
    "personal_facts": [
        r"(?:персональн\w*|личн\w*)(?:\s+(?:памят\w*|факт\w*|данн\w*|сведени\w*))?",
        r"personal(?:\s+(?:memory|memories|facts?|data|info(?:rmation)?))?"],
    "preferences": [r"предпочтени\w*", r"preferences?"],
    "events": [r"событи\w*", r"events?"],
}
SEGMENT_MARKER = r"(?:(?:по|в|во|для|среди|сегмент\w*|on|for|in|within|across|segment|the)\s+)*"
SEGMENT_TAIL = r"(?:\s+(?:памят\w*|memory|memories|segment|сегмент\w*))?"
SEGMENT_MARKERS = frozenset({"по", "в", "во", "для", "среди", "on", "for", "in", "within", "across", "segment",
                             "сегмент", "сегменту", "сегменте", "сегмента"})


def name_pattern(name: str) -> str:
    """An identifier as typed: top_k, top k, top-k."""
    return r"[ _-]?".join(re.escape(part) for part in name.split("_"))


@lru_cache(maxsize=64)
def metric_patterns(metrics: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(metric, pattern) for each known metric; exact ids first, then synonyms."""
    out = [(m, phrase(re.escape(m))) for m in metrics]
    out += [(m, phrase(*METRIC_SYNONYMS[m], name_pattern(m))) for m in metrics if m in METRIC_SYNONYMS]
    out += [(m, phrase(name_pattern(m))) for m in metrics if m not in METRIC_SYNONYMS]
    return tuple(out)


@lru_cache(maxsize=64)
def segment_patterns(segments: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    out = []
    for s in segments:
        names = [re.escape(s), name_pattern(s)] + SEGMENT_SYNONYMS.get(s, [])
        out.append((s, phrase(SEGMENT_MARKER + "(?:" + "|".join(names) + ")" + SEGMENT_TAIL)))
    return tuple(out)


@lru_cache(maxsize=64)
def factor_patterns(factors: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((f, phrase(re.escape(f), name_pattern(f), *FACTOR_SYNONYMS.get(f, []))) for f in factors)


# --- numbers ------------------------------------------------------------------------

# (kind, pattern) of what stands before a number. upper: "at most"; lower: "at least";
# level: "to"; relative: "by". Longer phrases first.
COMPARATORS: list[tuple[str, str]] = [
    ("upper", r"не\s+больше|не\s+более|не\s+выше|не\s+превыша\w*|не\s+превыс\w*|не\s+дольше|в\s+пределах"),
    ("lower", r"не\s+ниже|не\s+меньше|не\s+менее"),
    ("level", r"на\s+уровн\w*|не\s+хуже|no\s+worse\s+than|at\s+the\s+level\s+of|up\s+to|down\s+to"),
    ("upper", r"less\s+than|lower\s+than|fewer\s+than|at\s+most|no\s+more\s+than|not\s+more\s+than|"
              r"no\s+higher\s+than|not\s+above|not\s+over|(?:do\s+)?not\s+exceed\w*|don'?t\s+exceed|never\s+exceed\w*|"
              r"maximum|максимальн\w*|максимум|макс|max|within|below|under|ниже|меньше|менее"),
    ("lower", r"more\s+than|greater\s+than|higher\s+than|at\s+least|no\s+less\s+than|not\s+less\s+than|not\s+below|"
              r"minimum|минимальн\w*|минимум|мин|min|above|over|выше|больше|более"),
    ("upper", r"<=|=<|<"),
    ("lower", r">=|=>|>"),
    ("level", r"до|to|at|около|примерно|about|around|="),
    ("relative", r"на|by"),
]
UNITS: list[tuple[str, str]] = [
    ("pp", r"процентн\w*\s+пункт\w*|percentage\s+points?|п\.\s?п\.?|p\.\s?p\.?|пп|pp|пункт\w*|points?"),
    ("percent", r"%|процент\w*|percent"),
    ("ms", r"миллисекунд\w*|milliseconds?|msec|мс|ms"),
    ("s", r"секунд\w*|seconds?|secs?|сек\.?|s|с"),
    ("times", r"раза?|times"),
]
_CMP = "|".join(f"(?:{p})" for _, p in COMPARATORS)
_UNIT = "|".join(f"(?:{p})" for _, p in UNITS)
VALUE = re.compile(
    rf"(?:(?<!\w)(?P<cmp>{_CMP})\s*)?(?<![\w.])(?P<num>[+-]?[0-9]+(?:\.[0-9]+)?)(?:\s*(?P<unit>{_UNIT}))?(?!\w)")


def comparator_kind(text: str) -> str | None:
    for kind, pattern in COMPARATORS:
        if re.fullmatch(pattern, text):
            return kind
    return None


def unit_kind(text: str) -> str | None:
    for kind, pattern in UNITS:
        if re.fullmatch(pattern, text):
            return kind
    return None


# --- words that carry nothing --------------------------------------------------------

STOPWORDS = frozenset("""
по на до в во с со к ко при для и а но же ли бы чтобы что это этот эта эту эти так также тоже всё все всех
нам мне нас мы я нужно надо необходимо следует стоит хочу хотим хотелось давай давайте пожалуйста прошу
уровень уровня уровне уровнем значение значения метрику метрика метрики метрик показатель показатели
долю доля доли частоту частота наш наша нашей нашего нашу сервиса сервис maas памяти память чем сейчас
сделать сделай добиться стремиться хотя бы процентов процента процент цель цели задача задачу надо
режим режиме автономия автономии уровнем раз еще ещё примерно около хотя бы лучше только лишь
the a an to of by for on in at with and or but please we i want wants need needs should must let lets let's
us our my its it is be get make metric metrics level value rate overall service all so that from as also
now today mode autonomy goal please then than while more less still just up down our you your only
""".split())
