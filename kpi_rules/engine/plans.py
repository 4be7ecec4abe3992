"""Scoring a set of plans (the roles' indicators, or the team's) with the
policy's missing-value rule: zero, exclude (weights rescaled) or error.

Plans are column plans: one indicator over every row, with each row's
target and weight, so a role's indicators are scored without selecting its
rows first. Totals are added in each role's own plan order, so a row's sum is
the same float whatever other roles the policy has.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kpi_rules.engine.scoring import ColumnPlan, FloatArray, Scored, score_plan
from kpi_rules.policy.formula import ColumnEvaluator, Fail
from kpi_rules.policy.model import Plan
from kpi_rules.results.model import ERROR, EXCLUDED, ZERO

Positions = Sequence[npt.NDArray[np.intp]]  # per position in a role's plan list: each row's plan index (or -1)


@dataclass
class PlanScores:
    """Per plan (in order) and per row: scored values, weights after rescaling, treatment."""

    scored: list[Scored]
    effective_weight: list[FloatArray]
    weighted: list[FloatArray]
    treatment: list[npt.NDArray[np.int8]]  # codes: results.TREATMENTS
    total: FloatArray  # sum of weighted scores; NaN where every plan was excluded
    errors: npt.NDArray[np.bool_]  # rows made errors by `missing: error`


def _in_order(values: npt.NDArray[np.float64], positions: Positions) -> FloatArray:
    """Sum each row's values[plan] over its plans, in its role's plan order. The last row of
    `values` is all zeros: index -1 adds nothing."""
    n = values.shape[1]
    flat = values.ravel()
    where = np.arange(n)  # each row's place in the flattened table, shifted by its plan's row below
    total = np.zeros(n)
    for plan_of_row in positions:
        total += flat.take(plan_of_row * n + where)  # -1: -n + i, the last (zero) row's cell i
    return total


_CODES = {"zero": ZERO, "exclude": EXCLUDED, "error": ERROR}


def _kept_weight(columns: Sequence[ColumnPlan], treatment: Sequence[npt.NDArray[np.int8]],
                 positions: Positions) -> FloatArray:
    """Each row's weights of the indicators it keeps (not excluded), added in its role's order."""
    kept = np.zeros((len(columns) + 1, columns[0].applies.shape[0]))  # + a zero row, see _in_order
    for k, (plan, treat) in enumerate(zip(columns, treatment)):
        np.copyto(kept[k], plan.weight, where=plan.applies & (treat != EXCLUDED))
    return _in_order(kept, positions)


def score_plans(plans: Sequence[ColumnPlan | Plan], actuals: Sequence[FloatArray],
                fails: Sequence[npt.NDArray[np.int8]], evaluator: ColumnEvaluator,
                positions: Positions | None = None) -> PlanScores:
    n = actuals[0].shape[0] if actuals else 0
    columns = [p if isinstance(p, ColumnPlan) else ColumnPlan.of(p, n) for p in plans]
    if positions is None:  # every row uses every plan, in order (team indicators)
        positions = [np.full(n, k, dtype=np.intp) for k in range(len(columns))]
    scored = [score_plan(a, f, p, evaluator) for p, a, f in zip(columns, actuals, fails)]
    treatment = []
    any_excluded = np.zeros(n, dtype=bool)
    weighed = np.zeros(n, dtype=bool)  # rows left with some weight
    errors = np.zeros(n, dtype=bool)
    for plan, s in zip(columns, scored):
        missing = plan.applies & (s.fail != Fail.OK)
        treat = missing.astype(np.int8)
        treat *= np.int8(_CODES[plan.missing])
        treatment.append(treat)
        if plan.missing == "zero" and missing.any():
            s.score[missing] = 0.0  # POLICY_FORMAT 2.3: `missing: zero` scores it 0
        if plan.missing == "exclude":
            any_excluded |= missing
            weighed |= plan.applies & ~missing
        else:
            weighed |= plan.applies
        if plan.missing == "error":
            errors |= missing
    kept_weight = _kept_weight(columns, treatment, positions) if any_excluded.any() else None
    effective = []
    weighted = np.zeros((len(columns) + 1, n))  # + a zero row, see _in_order
    with np.errstate(all="ignore"):
        for k, (plan, s, treat) in enumerate(zip(columns, scored, treatment)):
            if kept_weight is not None:
                # Rescale only rows that lost an indicator, so others keep exact weights.
                weight = np.where(any_excluded, plan.weight / kept_weight, plan.weight)
                weight[(treat == EXCLUDED) | ~plan.applies] = 0.0
            else:
                weight = np.where(plan.applies, plan.weight, 0.0)
            effective.append(weight)
            np.multiply(weight, np.where(np.isnan(s.score), 0.0, s.score), out=weighted[k])
    total = np.where(weighed, _in_order(weighted, positions), np.nan)
    return PlanScores(scored, effective, list(weighted[:-1]), treatment, total, errors)
