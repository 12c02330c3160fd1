"""The quick paths of rules.numbers say exactly what the decimal definitions say."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from rules import numbers

QUANTUM = Decimal(1).scaleb(-numbers.PLACES)
finite = st.floats(allow_nan=False, allow_infinity=False)
everyday = st.one_of(finite.filter(lambda x: abs(x) < 1e15), st.integers(-10**12, 10**12).map(lambda n: n / 10**9))
checked = settings(max_examples=400, derandomize=True, database=None, deadline=None)


def written(value: float | int) -> Decimal:
    return Decimal(repr(float(value))) if isinstance(value, float) else Decimal(value)


@checked
@given(st.one_of(finite, st.integers(-10**30, 10**30)))
def test_text_is_the_decimal_written_without_exponent_or_trailing_zeros(value: float | int) -> None:
    d = written(value)
    assert numbers.text(value) == ("0" if d == 0 else format(d.normalize(), "f"))


@checked
@given(everyday)
def test_read_is_the_written_decimal_rounded_half_to_even(value: float) -> None:
    assert numbers.read(value) == written(value).quantize(QUANTUM, rounding=ROUND_HALF_EVEN)
    assert str(numbers.read(value)) == str(written(value).quantize(QUANTUM, rounding=ROUND_HALF_EVEN))


@checked
@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**9, max_value=10**9, places=None))
def test_fixed_point_rounds_like_quantize_whatever_the_places(value: Decimal) -> None:
    assert numbers.to_fixed(value) == int(value.quantize(QUANTUM, rounding=ROUND_HALF_EVEN).scaleb(numbers.PLACES))


@checked
@given(finite)
def test_the_limit_check_on_floats_is_the_check_on_their_decimals(value: float) -> None:
    assert (abs(value) > numbers.LIMIT_NUMBER) == (abs(written(value)) > numbers.LIMIT)
