"""Numbers as the rules see them.

Every number is read as the decimal it is written as (``0.07`` is 7/100, not the
nearest binary float) and kept to ``PLACES`` decimal places; derived facts (gaps,
means, worsening, steps) are computed exactly and rounded half-to-even to the
same places. durable-rules gets them as fixed-point integers because its JSON
reader crashes on exponents (``1e-05``) and compares doubles: integers keep every
comparison exact and equal to what the reviewer reads.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal

PLACES = 9
QUANTUM = Decimal(1).scaleb(-PLACES)
LIMIT = Decimal(1_000_000)
"""Largest magnitude a rule constant or an input fact may have."""
CLAMP = Decimal(1_000_000_000)
"""Derived facts are clamped here: beyond every constant, inside int64 fixed point."""


def exact(value: float | int) -> Decimal:
    """The decimal a number was written as (shortest repr of a float)."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int):
        return Decimal(value)
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return Decimal(repr(float(value)))


def places(value: float | int) -> int:
    """How many decimal places a number is written with."""
    exponent = exact(value).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def quantize(value: Decimal) -> Decimal:
    return value.quantize(QUANTUM, rounding=ROUND_HALF_EVEN)


def clamp(value: Decimal) -> Decimal:
    return max(-CLAMP, min(CLAMP, value))


def read(value: float | int) -> Decimal:
    """An input number, to PLACES decimal places."""
    return quantize(exact(value))


def to_fixed(value: Decimal) -> int:
    """The integer durable-rules compares (value already to PLACES places)."""
    return int(quantize(value).scaleb(PLACES))


def plain(value: Decimal) -> float | int:
    """A JSON-friendly number: ints stay ints, the rest floats."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def text(value: Decimal | float | int) -> str:
    """A number as a reviewer reads it: no exponent, no trailing zeros."""
    d = value if isinstance(value, Decimal) else exact(value)
    if d == 0:
        return "0"
    s = format(d.normalize(), "f")
    return s
