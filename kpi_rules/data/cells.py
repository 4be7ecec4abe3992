"""One column of cells typed against an input's declaration: numbers (ASCII decimal notation
only), whole numbers, booleans, text. A bad cell gives the reason why; the caller makes its row
an error naming the column and line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from kpi_rules.common.arrays import none_mask
from kpi_rules.policy.model import Input
from kpi_rules.results.reasons import Reason

FloatArray = npt.NDArray[np.float64]
_TRUE = {"true", "yes", "y", "1", "是", "t"}
_FALSE = {"false", "no", "n", "0", "否", "f"}
# What a number cell may hold as text: ASCII decimal notation (spaces around are stripped).
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_NOT_FINITE = {"inf", "infinity", "nan"}


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def text_column(cells: list[Any] | None, n: int, shared: bool = False) -> npt.NDArray[Any]:
    """Text cells, stripped, None where empty; numbers from JSON or Excel as written (7, not 7.0).
    `cells` None: the column is not in the file. `shared`: a column of few distinct values (role,
    team, period) holds one string object per distinct text, not one per row (1M rows: ~60 MB
    less for each such column)."""
    out = np.empty(n, dtype=object)
    if cells is None:
        return out
    kinds = set(map(type, cells))
    if kinds <= {str} and shared:
        one: dict[str, str | None] = {}
        out[:] = [one.get(cell) or one.setdefault(cell, cell.strip() or None) for cell in cells]
    elif kinds <= {str}:  # CSV: every cell is text already
        out[:] = [cell.strip() or None for cell in cells]
    else:
        out[:] = [None if cell is None else str(int(cell)) if isinstance(cell, float) and cell.is_integer()
                  else (str(cell).strip() or None) for cell in cells]
    return out


def _one_number(cell: Any) -> float | Reason:
    """The number in a cell, or why there is none. Text must be ASCII decimal notation
    (Python's float() would also take `1_000`, `٣` and full-width `１２`)."""
    if isinstance(cell, bool):
        return Reason("bool_not_number")
    if isinstance(cell, (int, float)):
        try:
            value = float(cell)
        except OverflowError:
            return Reason("number_too_large")
    else:
        text = str(cell).strip()
        if _DECIMAL.fullmatch(text) is None:
            return _not_a_number(text)
        value = float(text)
        if len(text) > 20 and value in (float("inf"), float("-inf")):
            return Reason("too_large", value=f"{text[:20]}...")  # not the whole 5000 digits
    if value != value or value in (float("inf"), float("-inf")):
        return Reason("not_finite", value=repr(cell))
    return value


def _not_a_number(text: str) -> Reason:
    if text.lower().lstrip("+-") in _NOT_FINITE:
        return Reason("not_finite", value=repr(text))
    if "," in text or "_" in text:
        return Reason("not_number_separator", value=repr(text))
    if text.endswith("%"):
        return Reason("not_number_percent", value=repr(text))
    if any(ch.isdigit() and not ch.isascii() for ch in text):
        return Reason("not_number_digits", value=repr(text))
    return Reason("not_number", value=repr(text))


def _odd_text(cells: list[Any], kinds: set[type], filled: npt.NDArray[Any]) -> npt.NDArray[np.bool_] | None:
    """Where a text cell holds what float() reads but `_DECIMAL` does not (non-ASCII, `_`); None: nowhere.

    One join over all the text is the common-path cost; cells are only looked at one by one
    when the file really holds such text."""
    if str not in kinds:
        return None
    strings = filled.tolist() if kinds <= {str, type(None)} else [c for c in cells if type(c) is str]
    joined = "".join(strings)
    if joined.isascii() and "_" not in joined:
        return None
    return np.fromiter((type(c) is str and (not c.isascii() or "_" in c) for c in cells), dtype=bool,
                       count=len(cells))


def _plain_numbers(cells: list[str]) -> FloatArray | None:
    """A column of text cells that are all plain numbers or empty (a CSV column as it should be),
    read in one C loop; None if any cell needs a closer look."""
    blank = "" in cells
    try:
        values = np.fromiter(map(float, [c or "nan" for c in cells] if blank else cells), dtype=np.float64,
                             count=len(cells))
    except (ValueError, OverflowError):
        return None
    finite = np.isfinite(values)
    if not finite.all() and (not blank or (~finite & np.fromiter(map(bool, cells), bool, len(cells))).any()):
        return None  # `nan`, `inf` or a number too large written in a cell
    joined = "".join(cells)
    if not joined.isascii() or "_" in joined:
        return None  # float() reads `1_000` and non-ASCII digits; the format does not
    return values


def number_column(cells: list[Any]) -> tuple[FloatArray, dict[int, Reason]]:
    kinds = set(map(type, cells))
    if kinds <= {str}:
        plain = _plain_numbers(cells)
        if plain is not None:
            return plain, {}
    obj = np.empty(len(cells), dtype=object)
    obj[:] = cells
    blank = np.equal(obj, "") if kinds <= {str} else none_mask(obj) | np.equal(obj, "")
    bad: dict[int, Reason] = {}
    try:
        if bool in kinds:
            raise ValueError
        filled = np.where(blank, "nan", obj) if blank.any() else obj
        values = filled.astype(np.float64)
        suspicious = ~blank & ~np.isfinite(values)
        odd = _odd_text(cells, kinds, filled)
        if odd is not None:
            suspicious |= odd
    except (ValueError, TypeError, OverflowError):
        values = np.full(len(cells), np.nan)
        suspicious = ~blank
    for i in np.flatnonzero(suspicious):
        if _blank(cells[i]):
            continue  # a cell of spaces is empty
        parsed = _one_number(cells[i])
        if isinstance(parsed, Reason):
            bad[int(i)] = parsed
            values[i] = np.nan
        else:
            values[i] = parsed
    return values, bad


def _booleans(cells: list[Any]) -> tuple[FloatArray, dict[int, Reason]]:
    values = np.full(len(cells), np.nan)
    bad: dict[int, Reason] = {}
    for i, cell in enumerate(cells):
        if _blank(cell):
            continue
        word = str(cell).strip().lower()
        if isinstance(cell, bool) or word in _TRUE | _FALSE:
            values[i] = 1.0 if (cell is True or word in _TRUE) else 0.0
        else:
            bad[i] = Reason("not_boolean", value=repr(cell))
    return values, bad


def _show(value: float) -> str:
    """A number as written: 1000001 (not 1e+06, which reads as equal to a maximum of 1000000), 0.5."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)


def typed_column(spec: Input, cells: Callable[[], list[Any]],
                 plain: FloatArray | None) -> tuple[Any, dict[int, Reason]]:
    """An input's column typed; `plain`: the column as numbers already, if the reader could tell
    every cell is a plain number or empty."""
    if spec.type == "string":
        text = cells()
        return text_column(text, len(text)), {}
    if spec.type == "boolean":
        return _booleans(cells())
    values, bad = (plain, {}) if plain is not None else number_column(cells())
    checks: list[tuple[npt.NDArray[np.bool_], str, dict[str, str]]] = []
    if spec.type == "integer":
        checks.append((values != np.floor(values), "not_whole", {}))
    if spec.min is not None:
        checks.append((values < spec.min, "below_min", {"min": _show(spec.min)}))
    if spec.max is not None:
        checks.append((values > spec.max, "above_max", {"max": _show(spec.max)}))
    for mask, code, limits in checks:
        for i in np.flatnonzero(mask & ~np.isnan(values)):
            bad.setdefault(int(i), Reason(code, value=_show(values[i]), **limits))
            values[i] = np.nan
    return values, bad
