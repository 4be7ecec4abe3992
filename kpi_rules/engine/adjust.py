"""Bonuses, deductions, vetoes and suggestions: rules that fire per row.

A rule whose `when` (or `points`) reads a missing value does not fire, and
the row's reasons say so (POLICY_FORMAT 2.3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from kpi_rules.common.arrays import none_mask
from kpi_rules.engine.scoring import FloatArray
from kpi_rules.policy.formula import ColumnEvaluator, Fail, Formula
from kpi_rules.policy.model import Adjustment, Suggestion, Veto
from kpi_rules.results.notes import FiredItems, RowNotes
from kpi_rules.results.reasons import Reason, Word

_WHY = {Fail.DIV_ZERO: "div_zero", Fail.OVERFLOW: "overflow", Fail.TYPE: "type_error", Fail.DOMAIN: "domain_error"}


def _fires(evaluator: ColumnEvaluator, when: Formula, env: Mapping[str, Any], n: int,
           lookups: Mapping[str, Any] | None = None) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int8]]:
    """(fires, why unknown: a Fail code per row, OK where it could be decided)."""
    outcome = evaluator.evaluate(when, env, n, lookups=lookups)
    unknown = np.isnan(outcome.values)
    return outcome.values == 1.0, np.where(unknown, np.maximum(outcome.fail, Fail.MISSING), Fail.OK).astype(np.int8)


def _say_unknown(reasons: RowNotes, rows: npt.NDArray[np.bool_], why: npt.NDArray[np.int8], missing: str,
                 failed: str, **params: Any) -> None:
    """A reason for each row in `rows` whose rule could not be decided: a missing value, or why not.
    One Reason per kind of failure, shared by its rows (a reason is an immutable string)."""
    undecided = np.flatnonzero(rows & (why != Fail.OK))
    made: dict[int, Reason] = {}
    for i, code in zip(undecided.tolist(), why[undecided].tolist()):
        reason = made.get(code)
        if reason is None:
            reason = made[code] = (Reason(missing, **params) if code == Fail.MISSING else
                                   Reason(failed, why=Word(_WHY.get(Fail(code), "overflow")), **params))
        reasons[i].append(reason)


def apply_adjustments(items: Sequence[Adjustment], cap: float | None, kind: str, env: Mapping[str, Any], n: int,
                      evaluator: ColumnEvaluator, reasons: RowNotes, watch: npt.NDArray[np.bool_]
                      ) -> tuple[FloatArray, FiredItems, npt.NDArray[np.bool_]]:
    """Capped total points per row, which item ids fired, and the rows whose points are too large
    to compute (errors: a data problem must not let a deduction slip). `watch`: rows whose reasons
    matter."""
    total = np.zeros(n)
    fired = FiredItems(n)
    too_large = np.zeros(n, dtype=bool)
    for item in items:
        fires, why = _fires(evaluator, item.when, env, n)
        points = evaluator.evaluate(item.points, env, n)
        no_points = fires & np.isnan(points.values)
        why = np.where(no_points, np.maximum(points.fail, Fail.MISSING), why).astype(np.int8)
        fires &= ~no_points
        overflow = (why == Fail.OVERFLOW) & watch
        too_large |= overflow
        with np.errstate(over="ignore"):  # an infinite sum is an error row, below
            total += np.where(fires, points.values, 0.0)
        fired.record(item.id, fires)
        for i in np.flatnonzero(overflow).tolist():
            reasons[i].append(Reason("adjustment_too_large", kind=Word(kind), id=item.id))
        _say_unknown(reasons, watch & ~overflow, why, "adjustment_unknown", "adjustment_failed",
                     kind=Word(kind), id=item.id)
    if cap is not None:
        total = np.minimum(total, cap)
    return total, fired, too_large


def apply_vetoes(vetoes: Sequence[Veto], env: Mapping[str, Any], n: int, evaluator: ColumnEvaluator,
                 reasons: RowNotes, watch: npt.NDArray[np.bool_]
                 ) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[np.bool_]]:
    """The first veto that fires per row: (veto id, forced grade), None where none; and the rows
    where a veto cannot be checked because a number is too large (errors, as for deductions)."""
    veto = np.full(n, None, dtype=object)
    grade = np.full(n, None, dtype=object)
    too_large = np.zeros(n, dtype=bool)
    for item in vetoes:
        fires, why = _fires(evaluator, item.when, env, n)
        new = fires & none_mask(veto)
        veto[new] = item.id
        grade[new] = item.grade
        for i in np.flatnonzero(fires & ~new & watch):
            reasons[i].append(Reason("veto_also", id=item.id))
        overflow = (why == Fail.OVERFLOW) & watch
        too_large |= overflow
        for i in np.flatnonzero(overflow).tolist():
            reasons[i].append(Reason("veto_too_large", id=item.id))
        _say_unknown(reasons, watch & ~overflow, why, "veto_unknown", "veto_failed", id=item.id)
    return veto, grade, too_large


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
