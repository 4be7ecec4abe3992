"""Scoring a set of plans (a role's indicators, or the team's) with the
policy's missing-value rule: zero, exclude (weights rescaled) or error."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..formula import ColumnEvaluator, Fail
from ..model import Plan
from .scoring import FloatArray, Scored, score_plan


@dataclass
class PlanScores:
    """Per plan (in order) and per row: scored values, weights after rescaling, treatment."""

    scored: list[Scored]
    effective_weight: list[FloatArray]
    weighted: list[FloatArray]
    treatment: list[npt.NDArray[np.object_]]
    total: FloatArray  # sum of weighted scores; NaN where every plan was excluded
    errors: npt.NDArray[np.bool_]  # rows made errors by `missing: error`


def score_plans(plans: Sequence[Plan], actuals: Sequence[FloatArray], fails: Sequence[npt.NDArray[np.int8]],
                evaluator: ColumnEvaluator) -> PlanScores:
    n = actuals[0].shape[0] if actuals else 0
    scored = [score_plan(a, f, p, evaluator) for p, a, f in zip(plans, actuals, fails)]
    treatment = [np.full(n, None, dtype=object) for _ in plans]
    kept_weight = np.zeros(n)
    any_excluded = np.zeros(n, dtype=bool)
    errors = np.zeros(n, dtype=bool)
    for plan, s, treat in zip(plans, scored, treatment):
        missing = s.fail != Fail.OK
        treat[missing] = {"zero": "zero", "exclude": "excluded", "error": "error"}[plan.missing]
        if plan.missing == "zero":
            s.score[missing] = 0.0  # POLICY_FORMAT 2.3: `missing: zero` scores it 0
        if plan.missing == "exclude":
            any_excluded |= missing
            kept_weight += np.where(missing, 0.0, plan.weight)
        else:
            kept_weight += plan.weight
            errors |= missing & (plan.missing == "error")
    effective, weighted = [], []
    total = np.zeros(n)
    with np.errstate(all="ignore"):
        for plan, s, treat in zip(plans, scored, treatment):
            excluded = treat == "excluded"
            # Rescale only rows that lost an indicator, so others keep exact weights.
            weight = np.where(any_excluded, plan.weight / kept_weight, plan.weight)
            weight = np.where(excluded, 0.0, weight)
            score = np.where(np.isnan(s.score), 0.0, s.score)
            effective.append(weight)
            weighted.append(np.where(excluded, 0.0, weight * score))
            total = total + weighted[-1]
    total = np.where(kept_weight > 0, total, np.nan)
    return PlanScores(scored, effective, weighted, treatment, total, errors)
