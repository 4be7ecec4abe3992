"""The rows of the results CSV, made a column at a time.

One row per employee with the fields of `results_csv.CSV_FIELDS` and a `score_<id>`
column per indicator, the values as the results JSON shows them. Cells that
begin with `= + - @` (or a tab or CR) are escaped with a leading `'` so that a
spreadsheet never runs them as formulas. A test holds the rows equal to those
made from `PeriodResult.employee_rows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from kpi_rules.results.model import PeriodResult, shown_column
from kpi_rules.results.notes import FiredItems

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Text a spreadsheet shows as text: a leading `= + - @` (a formula) gets a `'` before it."""
    return "'" + value if value.startswith(DANGEROUS) else value


def _texts(values: list[Any]) -> list[Any]:
    """Text cells: None empty, texts escaped. `values` is the caller's to reuse."""
    try:  # texts only (ids, names: each distinct): one C loop finds the few to escape
        risky = list(map(str.startswith, values, repeat(DANGEROUS)))
    except TypeError:  # None or other values among them: each distinct value made once
        pass
    else:
        return [safe_text(v) if r else v for v, r in zip(values, risky)] if True in risky else values
    made: dict[Any, Any] = {}
    for value in set(values):
        made[value] = "" if value is None else safe_text(value) if isinstance(value, str) else value
    return list(map(made.__getitem__, values))


def _lists(n: int, lists: dict[int, list[str]], rows: npt.NDArray[np.bool_] | None = None) -> list[str]:
    out = [""] * n
    for i, items in lists.items():
        if rows is None or rows[i]:
            out[i] = safe_text("; ".join(map(str, items)))
    return out


def _fired(fired: FiredItems, start: int, stop: int, rows: npt.NDArray[np.bool_]) -> list[str]:
    """`_lists` of the ids that fired: each combination of ids that occurs is joined once."""
    grouped = fired.combinations(start, stop, rows)
    if grouped is None:
        return _lists(stop - start, fired.sparse(start, stop), rows)
    lists, which = grouped
    texts = [safe_text("; ".join(map(str, items))) if items else "" for items in lists]
    shown: list[str] = np.array(texts, dtype=object).take(which).tolist()
    return shown


def csv_rows(res: PeriodResult, start: int, stop: int, indicator_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """Rows start..stop-1 of the results CSV (without the header)."""
    stop = min(stop, res.n)
    n, d, part = stop - start, res.decimals, slice(start, stop)
    if n <= 0:
        return []
    rated = res.status[part] == "rated"

    def numbers(name: str) -> list[Any]:
        values = getattr(res, name)
        if not len(values):
            return [""] * n
        return shown_column(np.where(rated, values[part], np.nan), d, "")

    def texts(values: npt.NDArray[Any], only_rated: bool = False) -> list[Any]:
        if not len(values):
            return [""] * n
        shown = values[part]
        if only_rated and not rated.all():
            shown = shown.astype(object)  # a copy
            shown[~rated] = None
        return _texts(shown.tolist())

    periods = [p or res.period for p in res.row_period[part].tolist()] if len(res.row_period) else [res.period] * n
    columns = [
        texts(res.employee_id), texts(res.name), texts(res.role), texts(res.team), _texts(periods),
        res.status[part].tolist(), numbers("individual"), numbers("team_score"), numbers("bonus"),
        numbers("deduction"), numbers("coefficient_team"), numbers("final"), texts(res.grade, True),
        texts(res.grade_before_distribution, True), numbers("pay_coefficient"), texts(res.veto, True),
        _fired(res.bonuses, start, stop, rated), _fired(res.deductions, start, stop, rated),
        _lists(n, res.reasons.sparse(start, stop)),
    ]
    for ind_id in indicator_ids:
        ind = res.indicators[ind_id]
        columns.append(shown_column(np.where(ind.applies[part] & rated, ind.score[part], np.nan), missing=""))
    return list(zip(*columns))
