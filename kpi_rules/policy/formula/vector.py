"""Formula operators and functions over columns (numpy arrays).

A value is a float64 array with NaN for "missing", a Python scalar, or an
object array of text (role, team, ...). Truth values are 1.0 / 0.0, and
NaN when they depend on a missing value. Every operator records why a row
became NaN (division by zero, overflow, ...) in the `Batch`; rows whose
final value is not NaN are fine whatever happened on the way (so
`coalesce(a / b, 0)` is 0 where b is 0).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from kpi_rules.common.arrays import none_mask
from kpi_rules.common.rounding import round_array

FloatArray = npt.NDArray[np.float64]


class Fail(IntEnum):
    """Why a formula has no value for a row."""

    OK = 0
    MISSING = 1  # it read a missing value
    DIV_ZERO = 2
    OVERFLOW = 3
    TYPE = 4  # text where a number is needed
    DOMAIN = 5  # e.g. a negative number to a fractional power


class FormulaTypeError(TypeError):
    """The formula mixes text and numbers for every row: a policy mistake."""


class FormulaOverflow(ArithmeticError):
    """A number beyond what a float holds (e.g. a huge integer input)."""


class Batch:
    """Evaluation state for one formula over n rows (or n teams)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.fail = np.zeros(n, dtype=np.int8)

    def mark(self, mask: Any, kind: Fail) -> None:
        mask = np.broadcast_to(np.asarray(mask, dtype=bool), (self.n,))
        self.fail[mask & (self.fail == 0)] = kind


def is_text(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, np.ndarray) and value.dtype == object)


def num(value: Any) -> Any:
    """A number or float array; text is a type error, booleans count as 1/0."""
    if is_text(value):
        raise FormulaTypeError("text is used where a number is needed")
    if isinstance(value, np.ndarray):
        return value if value.dtype == np.float64 else value.astype(np.float64)
    if value is None:
        return np.nan
    try:
        return float(value)
    except OverflowError as exc:
        raise FormulaOverflow("a number is too large") from exc


def _nan(value: Any) -> Any:
    return np.isnan(value)


def finish(batch: Batch, result: Any, *operands: Any) -> Any:
    """Turn inf into NaN and record overflow where the operands were fine."""
    result = np.asarray(result, dtype=np.float64)
    bad = ~np.isfinite(result)
    if bad.any():
        fine = np.ones(result.shape, dtype=bool)
        for operand in operands:
            fine = fine & ~_nan(operand)
        batch.mark(np.isinf(result) & fine, Fail.OVERFLOW)
        batch.mark(np.isnan(result) & fine, Fail.DOMAIN)
        result = np.where(np.isinf(result), np.nan, result)
    return result if result.ndim else float(result)


def arith(op: Callable[[Any, Any], Any]) -> Callable[[Batch, Any, Any], Any]:
    def apply(batch: Batch, a: Any, b: Any) -> Any:
        a, b = num(a), num(b)
        with np.errstate(all="ignore"):
            return finish(batch, op(a, b), a, b)

    return apply


def _guarded(op: Callable[[Any, Any], Any]) -> Callable[[Batch, Any, Any], Any]:
    """Division-like operators: a zero divisor makes the row missing (div_zero)."""

    def apply(batch: Batch, a: Any, b: Any) -> Any:
        a, b = num(a), num(b)
        zero = np.asarray(b) == 0
        batch.mark(zero & ~_nan(a), Fail.DIV_ZERO)
        with np.errstate(all="ignore"):
            result = op(a, np.where(zero, np.nan, b))
        return finish(batch, result, a, b)

    return apply


def power(batch: Batch, a: Any, b: Any) -> Any:
    a, b = num(a), num(b)
    batch.mark((np.asarray(a) == 0) & (np.asarray(b) < 0), Fail.DIV_ZERO)
    with np.errstate(all="ignore"):
        return finish(batch, np.power(a, b), a, b)


def compare(op: Callable[[Any, Any], Any]) -> Callable[[Batch, Any, Any], Any]:
    def apply(batch: Batch, a: Any, b: Any) -> Any:
        if is_text(a) or is_text(b):
            return _compare_text(op, a, b)
        a, b = num(a), num(b)
        result = np.where(_nan(a) | _nan(b), np.nan, op(a, b))
        return result if result.ndim else float(result)

    return apply


def _compare_text(op: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    import operator

    if op not in (operator.eq, operator.ne):
        raise FormulaTypeError("text can only be compared with == or !=")
    missing = _text_missing(a) | _text_missing(b)
    equal = np.asarray(np.equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object)), dtype=np.float64)
    result = equal if op is operator.eq else 1.0 - equal
    result = np.where(missing, np.nan, result)
    return result if result.ndim else float(result)


def _text_missing(value: Any) -> Any:
    if isinstance(value, np.ndarray) and value.dtype == object:
        return none_mask(value)
    if isinstance(value, np.ndarray):
        return np.isnan(value)
    return value is None or (isinstance(value, float) and value != value)


def truth(value: Any) -> Any:
    """1.0 / 0.0 / NaN for any value (text: non-empty is true)."""
    if is_text(value):
        arr = np.asarray(value, dtype=object)
        return np.where(none_mask(arr), np.nan, (arr != "").astype(np.float64))
    value = num(value)
    return np.where(_nan(value), np.nan, (np.asarray(value) != 0).astype(np.float64))


def logical_not(batch: Batch, a: Any) -> Any:
    t = truth(a)
    return np.where(_nan(t), np.nan, 1.0 - t)


def negate(batch: Batch, a: Any) -> Any:
    return -num(a)


def identity(batch: Batch, a: Any) -> Any:
    return +num(a)


def choose(test: Any, when_true: Any, when_false: Any) -> Any:
    """`x if c else y`, and the building block of `and` / `or`."""
    t = truth(test)
    result = np.where(_nan(t), np.nan, np.where(t != 0, num(when_true), num(when_false)))
    return result if np.ndim(result) else float(result)


# ------------------------------------------------------------------ functions


def fn_min(batch: Batch, *args: Any) -> Any:
    return _fold(np.minimum, args)


def fn_max(batch: Batch, *args: Any) -> Any:
    return _fold(np.maximum, args)


def _fold(op: Callable[[Any, Any], Any], args: tuple[Any, ...]) -> Any:
    if not args:
        raise FormulaTypeError("min/max need at least one value")
    result = num(args[0])
    for arg in args[1:]:
        result = op(result, num(arg))
    return result


def fn_abs(batch: Batch, a: Any) -> Any:
    return np.abs(num(a))


ROUND_DIGITS = (-15, 15)


def fn_round(batch: Batch, a: Any, decimals: Any = 0) -> Any:
    d = num(decimals)
    if np.ndim(d):
        raise FormulaTypeError("round() needs a fixed number of decimals")
    if not (d == d and ROUND_DIGITS[0] <= d <= ROUND_DIGITS[1]):
        raise FormulaTypeError(f"round() takes {ROUND_DIGITS[0]} to {ROUND_DIGITS[1]} decimals")
    result = round_array(np.atleast_1d(num(a)), int(d))
    return result if np.ndim(a) else float(result[0])


def fn_clamp(batch: Batch, a: Any, lo: Any, hi: Any) -> Any:
    return np.minimum(np.maximum(num(a), num(lo)), num(hi))


def fn_safe_div(batch: Batch, a: Any, b: Any, default: Any = 0) -> Any:
    a, b, default = num(a), num(b), num(default)
    bad = _nan(a) | _nan(b) | (np.asarray(b) == 0)
    with np.errstate(all="ignore"):
        result = np.where(bad, default, a / np.where(bad, 1.0, b))
    return finish(batch, result, a, b)


def fill_missing(value: Any, fallback: Any) -> Any:
    """One step of `coalesce`: keep `value` where present, else `fallback`."""
    value, fallback = num(value), num(fallback)
    result = np.where(_nan(value), fallback, value)
    return result if np.ndim(result) else float(result)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "min": fn_min, "max": fn_max, "abs": fn_abs, "round": fn_round,
    "clamp": fn_clamp, "safe_div": fn_safe_div,
}
