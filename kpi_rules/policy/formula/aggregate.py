"""Team aggregates: a column of the team's rows -> one value per team."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from kpi_rules.common.arrays import none_mask
from kpi_rules.policy.formula.vector import Batch, Fail, FormulaTypeError, fn_max, fn_min, is_text, num


@dataclass(frozen=True)
class Groups:
    """Which team each row belongs to: `index[i]` in 0..count-1, or -1 (not counted)."""

    index: npt.NDArray[np.intp]
    count: int


def _column(groups: Groups, value: Any) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    values = np.broadcast_to(num(value), groups.index.shape)
    keep = (groups.index >= 0) & ~np.isnan(values)
    return groups.index[keep], values[keep]


def _count(groups: Groups, value: Any) -> npt.NDArray[np.float64]:
    """Rows with a value: numbers, or text (`count(employee_id)` is the team's size)."""
    if is_text(value):
        present = ~none_mask(np.broadcast_to(np.asarray(value, dtype=object), groups.index.shape))
        idx = groups.index[(groups.index >= 0) & present]
    else:
        idx, _ = _column(groups, value)
    return np.bincount(idx, minlength=groups.count).astype(np.float64)


def _sum(groups: Groups, value: Any) -> npt.NDArray[np.float64]:
    idx, values = _column(groups, value)
    total = np.bincount(idx, weights=values, minlength=groups.count)
    return np.where(_count(groups, value) > 0, total, np.nan)


def _mean(groups: Groups, value: Any) -> npt.NDArray[np.float64]:
    count = _count(groups, value)
    with np.errstate(all="ignore"):
        return np.where(count > 0, _sum(groups, value) / count, np.nan)


def _per_group(reduce: Callable[[npt.NDArray[np.float64]], float]) -> Callable[[Groups, Any], Any]:
    def apply(groups: Groups, value: Any) -> npt.NDArray[np.float64]:
        idx, values = _column(groups, value)
        out = np.full(groups.count, np.nan)
        order = np.argsort(idx, kind="stable")
        idx, values = idx[order], values[order]
        starts = np.searchsorted(idx, np.arange(groups.count), side="left")
        ends = np.searchsorted(idx, np.arange(groups.count), side="right")
        for g in range(groups.count):
            if ends[g] > starts[g]:
                out[g] = reduce(values[starts[g]:ends[g]])
        return out

    return apply


AGGREGATES: dict[str, Callable[[Groups, Any], Any]] = {
    "sum": _sum, "mean": _mean, "count": _count,
    "median": _per_group(lambda v: float(np.median(v))),
    "min": _per_group(lambda v: float(v.min())),
    "max": _per_group(lambda v: float(v.max())),
}


def call_aggregate(name: str, groups: Groups | None, batch: Batch, args: list[Any]) -> Any:
    """`min`/`max` with several arguments stay element-wise; with one column they aggregate."""
    if name in ("min", "max") and (len(args) != 1 or groups is None):
        return (fn_min if name == "min" else fn_max)(batch, *args)
    if groups is None:
        raise FormulaTypeError(f"{name}() aggregates a team's rows and is only available in team indicators")
    if len(args) != 1:
        raise FormulaTypeError(f"{name}() takes one column")
    result = AGGREGATES[name](groups, args[0])
    too_large = np.isinf(result)  # a sum beyond the float range
    if too_large.any():
        batch.mark(too_large, Fail.OVERFLOW)
        result = np.where(too_large, np.nan, result)
    return result
