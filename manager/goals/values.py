"""Numbers in a goal: which kind of bound they are and what they mean in the metric's unit.

Rates are fractions (3% → 0.03); a metric whose id ends in ``_s`` is in seconds.
A change "by +10%" of a rate is read as +10 percentage points, as the seed means it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from manager.goals import lexicon


@dataclass(frozen=True)
class Value:
    kind: str          # upper | lower | level | relative
    number: float      # as typed, sign included
    signed: bool       # the human wrote + or -
    unit: str | None   # pp | percent | ms | s | times | None
    text: str          # as typed, for messages


@dataclass(frozen=True)
class Converted:
    amount: float | None     # in the metric's unit (fraction or seconds); None when refused
    problem: str | None = None   # message key when refused
    note: str | None = None      # message key worth telling the human


def find_values(rest: str) -> list[tuple[re.Match[str], Value]]:
    out = []
    for m in lexicon.VALUE.finditer(rest):
        cmp, num, unit = m.group("cmp"), m.group("num"), m.group("unit")
        kind = lexicon.comparator_kind(cmp) if cmp else None
        signed = num[0] in "+-"
        if kind is None:
            kind = "relative" if signed else "bare"
        out.append((m, Value(kind, float(num), signed, lexicon.unit_kind(unit) if unit else None,
                             re.sub(r"\s+", " ", m.group(0)).strip())))
    return out


def in_seconds(metric: str) -> bool:
    return metric.endswith("_s")


def convert(metric: str, value: Value) -> Converted:
    """The value in the metric's own unit; relative values keep their sign."""
    magnitude = abs(value.number) if value.kind == "relative" else value.number
    if value.unit == "times":
        return Converted(None, "times")
    if value.kind != "relative" and value.signed:
        return Converted(None, "signed_level")
    if in_seconds(metric):
        if value.unit in ("pp", "percent"):
            return Converted(None, "seconds_not_percent")
        amount = magnitude / 1000 if value.unit == "ms" else magnitude
        note = "bare_seconds" if value.unit is None else None
        if value.kind != "relative" and amount <= 0:
            return Converted(None, "out_of_range_seconds")
        return Converted(amount, note=note)
    if value.unit in ("ms", "s"):
        return Converted(None, "rate_not_seconds")
    note = None
    if value.unit in ("pp", "percent"):
        amount = magnitude / 100
        if value.kind == "relative" and value.unit == "percent":
            note = "percent_as_points"
    elif magnitude <= 1:
        amount = magnitude
    else:
        amount, note = magnitude / 100, "bare_percent"
    if not 0 <= amount <= 1:
        return Converted(None, "out_of_range_rate")
    return Converted(amount, note=note)
