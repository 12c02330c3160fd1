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
LIMIT_NUMBER = 1_000_000
"""``LIMIT`` for comparing with floats and ints as they are (exact in Python)."""
SHORT_INT = 10**27
"""Whole numbers below this are written as ``str`` writes them (within Decimal's precision)."""
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
    if type(value) is float and math.isfinite(value):  # the common case, as ``exact`` reads it
        return Decimal(repr(value)).quantize(QUANTUM, rounding=ROUND_HALF_EVEN)
    return quantize(exact(value))


def to_fixed(value: Decimal) -> int:
    """The integer durable-rules compares (rounded as ``quantize`` when it has more places)."""
    scaled = value.scaleb(PLACES)
    fixed = int(scaled)
    return fixed if fixed == scaled else int(quantize(value).scaleb(PLACES))


def plain(value: Decimal) -> float | int:
    """A JSON-friendly number: ints stay ints, the rest floats."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def text(value: Decimal | float | int) -> str:
    """A number as a reviewer reads it: no exponent, no trailing zeros."""
    if type(value) is float and value != 0:
        written = repr(value)
        if "e" not in written and "n" not in written:  # digits.digits: the decimal without its zeros
            return written.rstrip("0").rstrip(".")
    elif type(value) is int and abs(value) < SHORT_INT:
        return str(value)
    d = value if isinstance(value, Decimal) else exact(value)
    if d == 0:
        return "0"
    s = format(d.normalize(), "f")
    return s
