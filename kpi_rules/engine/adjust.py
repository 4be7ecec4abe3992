"""Bonuses, deductions, vetoes and suggestions: rules that fire per row.

A rule whose `when` (or `points`) reads a missing value does not fire, and
the row's reasons say so (POLICY_FORMAT 2.3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..arrays import none_mask
from ..formula import ColumnEvaluator, Formula
from ..model import Adjustment, Suggestion, Veto
from ..notes import FiredItems, RowNotes
from ..reasons import Reason, Word
from .scoring import FloatArray


def _fires(evaluator: ColumnEvaluator, when: Formula, env: Mapping[str, Any], n: int,
           lookups: Mapping[str, Any] | None = None) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """(fires, unknown) per row."""
    values = evaluator.evaluate(when, env, n, lookups=lookups).values
    return values == 1.0, np.isnan(values)


def apply_adjustments(items: Sequence[Adjustment], cap: float | None, kind: str, env: Mapping[str, Any], n: int,
                      evaluator: ColumnEvaluator, reasons: RowNotes,
                      watch: npt.NDArray[np.bool_]) -> tuple[FloatArray, FiredItems]:
    """Capped total points per row, and which item ids fired. `watch`: rows whose reasons matter."""
    total = np.zeros(n)
    fired = FiredItems(n)
    for item in items:
        fires, unknown = _fires(evaluator, item.when, env, n)
        points = evaluator.evaluate(item.points, env, n).values
        unknown |= fires & np.isnan(points)
        fires &= ~np.isnan(points)
        total += np.where(fires, points, 0.0)
        fired.record(item.id, fires)
        for i in np.flatnonzero(unknown & watch):
            reasons[i].append(Reason("adjustment_unknown", kind=Word(kind), id=item.id))
    if cap is not None:
        total = np.minimum(total, cap)
    return total, fired


def apply_vetoes(vetoes: Sequence[Veto], env: Mapping[str, Any], n: int, evaluator: ColumnEvaluator,
                 reasons: RowNotes, watch: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """The first veto that fires per row: (veto id, forced grade), None where none."""
    veto = np.full(n, None, dtype=object)
    grade = np.full(n, None, dtype=object)
    for item in vetoes:
        fires, unknown = _fires(evaluator, item.when, env, n)
        new = fires & none_mask(veto)
        veto[new] = item.id
        grade[new] = item.grade
        for i in np.flatnonzero(fires & ~new & watch):
            reasons[i].append(Reason("veto_also", id=item.id))
        for i in np.flatnonzero(unknown & watch):
            reasons[i].append(Reason("veto_unknown", id=item.id))
    return veto, grade


def suggestions_for(items: Sequence[Suggestion], env: Mapping[str, Any], n: int, evaluator: ColumnEvaluator,
                    lookups: Mapping[str, Any], watch: npt.NDArray[np.bool_], scope: str = "employee") -> FiredItems:
    """Which suggestions of `scope` hold for each row (team-scope ones are evaluated on the
    members' rows too, and reported per team)."""
    out = FiredItems(n)
    for item in items:
        if item.scope != scope:
            continue
        fires, _ = _fires(evaluator, item.when, env, n, lookups)
        out.record(item.text, fires & watch)
    return out
