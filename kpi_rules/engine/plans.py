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

from ..formula import ColumnEvaluator, Fail
from ..model import Plan
from ..results import ERROR, EXCLUDED, ZERO
from .scoring import ColumnPlan, FloatArray, Scored, score_plan

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
    columns = np.arange(n)
    total = np.zeros(n)
    for plan_of_row in positions:
        total += values[plan_of_row, columns]
    return total


def score_plans(plans: Sequence[ColumnPlan | Plan], actuals: Sequence[FloatArray],
                fails: Sequence[npt.NDArray[np.int8]], evaluator: ColumnEvaluator,
                positions: Positions | None = None) -> PlanScores:
    n = actuals[0].shape[0] if actuals else 0
    columns = [p if isinstance(p, ColumnPlan) else ColumnPlan.of(p, n) for p in plans]
    if positions is None:  # every row uses every plan, in order (team indicators)
        positions = [np.full(n, k, dtype=np.intp) for k in range(len(columns))]
    scored = [score_plan(a, f, p, evaluator) for p, a, f in zip(columns, actuals, fails)]
    treatment = [np.zeros(n, dtype=np.int8) for _ in columns]
    kept = np.zeros((len(columns) + 1, n))  # + a zero row, see _in_order
    any_excluded = np.zeros(n, dtype=bool)
    errors = np.zeros(n, dtype=bool)
    for k, (plan, s, treat) in enumerate(zip(columns, scored, treatment)):
        missing = plan.applies & (s.fail != Fail.OK)
        treat[missing] = {"zero": ZERO, "exclude": EXCLUDED, "error": ERROR}[plan.missing]
        if plan.missing == "zero":
            s.score[missing] = 0.0  # POLICY_FORMAT 2.3: `missing: zero` scores it 0
        excluded = missing if plan.missing == "exclude" else np.zeros(n, dtype=bool)
        any_excluded |= excluded
        np.copyto(kept[k], plan.weight, where=plan.applies & ~excluded)
        if plan.missing == "error":
            errors |= missing
    kept_weight = _in_order(kept, positions)
    effective = []
    weighted = np.zeros((len(columns) + 1, n))  # + a zero row, see _in_order
    with np.errstate(all="ignore"):
        for k, (plan, s, treat) in enumerate(zip(columns, scored, treatment)):
            # Rescale only rows that lost an indicator, so others keep exact weights.
            weight = np.where(any_excluded, plan.weight / kept_weight, plan.weight)
            weight[(treat == EXCLUDED) | ~plan.applies] = 0.0
            effective.append(weight)
            np.multiply(weight, np.where(np.isnan(s.score), 0.0, s.score), out=weighted[k])
    total = _in_order(weighted, positions)
    total = np.where(kept_weight > 0, total, np.nan)
    return PlanScores(scored, effective, list(weighted[:-1]), treatment, total, errors)
