"""Figures as people read them: NaN as null, whole numbers without `.0`, no float noise, no -0."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from kpi_rules.common.rounding import round_array, round_scalar

FloatArray = npt.NDArray[np.float64]
SHOWN_DECIMALS = 10  # intermediate values in the results: enough to redo the sums, no float noise


def rounded_for_display(values: FloatArray, decimals: int) -> FloatArray:
    """Policy-level figures (finals, totals: a few decimals) round half-up in decimal, as the
    policy says; intermediate values shown to many decimals only lose float noise, which
    numpy's binary rounding does at a fraction of the cost."""
    if decimals > 6:
        with np.errstate(all="ignore"):
            return np.round(values, decimals) + 0.0  # + 0.0: no -0
    return round_array(values, decimals)


def shown(value: float, decimals: int = SHOWN_DECIMALS) -> float | int | None:
    """A float for people: NaN -> null, 110.00000000000001 -> 110, no -0. The same as
    `shown_column` of one value, computed without numpy (reports call this for every figure)."""
    v = float(value)
    if v != v:
        return None
    if decimals > 6:
        r = float(np.round(np.float64(v), decimals)) + 0.0
    else:
        r = round_scalar(v, decimals)
    if math.isfinite(r) and r == math.floor(r) and abs(r) < 2**53:
        return int(r)
    return r


def shown_column(values: FloatArray, decimals: int = SHOWN_DECIMALS, missing: Any = None) -> list[Any]:
    """`shown` for a whole column, at numpy speed; NaN as `missing` (None, or "" for a CSV cell)."""
    rounded = rounded_for_display(np.asarray(values, dtype=np.float64), decimals)
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(rounded) & (rounded == np.floor(rounded)) & (np.abs(rounded) < 2**53)
    others = np.flatnonzero(~whole)
    if len(others) * 8 <= len(rounded):  # mostly whole numbers (scores, points): ints, then the few others
        out: list[Any] = np.where(whole, rounded, 0.0).astype(np.int64).tolist()
        for i, value in zip(others.tolist(), rounded[others].tolist()):
            out[i] = missing if value != value else value
        return out
    wholes = np.flatnonzero(whole)
    if len(wholes) * 8 <= len(rounded):  # mostly fractions (finals): floats, then the few others
        out = rounded.tolist()
        for i, value in zip(wholes.tolist(), rounded[wholes].astype(np.int64).tolist()):
            out[i] = value
        for i in np.flatnonzero(np.isnan(rounded)).tolist():
            out[i] = missing
        return out
    mixed = rounded.astype(object)
    mixed[whole] = rounded[whole].astype(np.int64).astype(object)
    mixed[np.isnan(rounded)] = missing
    return mixed.tolist()  # type: ignore[no-any-return]
