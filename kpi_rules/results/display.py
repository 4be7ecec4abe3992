"""Rounding for display that never contradicts the result: the edges a value is judged against
(an indicator's floor, target, stretch and band edges; 100% achievement; the grades' minimums),
and how many decimals keep a shown value on its side of each of them.

An attainment of 0.9965 against a target of 1, shown to two decimals, reads `1` beside a
score below target; with the edge 1 it is shown as `0.997`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from kpi_rules.policy.model import Plan
from kpi_rules.results.model import shown

MORE_DECIMALS = 6  # at most this many decimals more than asked for
_TOLERANCE = 1e-9


def _side(x: float, edge: float) -> int:
    return 0 if abs(x - edge) <= _TOLERANCE else (1 if x > edge else -1)


def edge_decimals(value: float, decimals: int, edges: Iterable[float | None]) -> int:
    """The fewest decimals (at least `decimals`) at which `value`, rounded for display, lies on the
    same side of every edge as `value` does (and on an edge only when `value` is on it)."""
    marks = [float(e) for e in edges if e is not None]
    if not marks or value != value:  # no edges, or NaN
        return decimals
    if min(abs(value - e) for e in marks) > 10.0**-decimals + 2 * _TOLERANCE:
        return decimals  # rounding moves the value by at most half a unit: it cannot reach an edge
    sides = [(e, _side(value, e)) for e in marks]
    for d in range(decimals, decimals + MORE_DECIMALS + 1):
        r = shown(value, d)
        if r is None:
            return d
        x = float(r)
        if all(_side(x, e) == side for e, side in sides):
            return d
    return decimals + MORE_DECIMALS


def near_edges(values: npt.NDArray[np.float64], decimals: int, edges: Iterable[float | None]) -> npt.NDArray[np.bool_]:
    """For a column: True where `edge_decimals` may give more than `decimals` (a value within a unit
    of an edge, or NaN); elsewhere it gives `decimals`. The same test as its shortcut, at numpy speed."""
    marks = np.array([float(e) for e in edges if e is not None], dtype=np.float64)
    if not marks.size:
        return np.zeros(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):
        distance = np.abs(values[:, None] - marks[None, :]).min(axis=1)
        near: npt.NDArray[np.bool_] = ~(distance > 10.0**-decimals + 2 * _TOLERANCE)
    return near


def plan_edges(plan: Plan | None) -> tuple[list[float], list[float]]:
    """The values an indicator's actual and its achievement are judged against: its floor, target,
    stretch and value band edges; 100% and the achievement band edges."""
    if plan is None:
        return [], [1.0]
    bands = [b.min for b in plan.scale.bands if b.min is not None]
    by_value = plan.scale.basis == "value"
    actual = [v for v in (plan.floor, plan.target, plan.stretch) if v is not None] + (bands if by_value else [])
    return actual, [1.0] + ([] if by_value else bands)
