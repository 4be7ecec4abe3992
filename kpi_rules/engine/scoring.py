"""From an indicator's actual value to its score, for a whole column at once.

POLICY_FORMAT 2.4-2.6: achievement (with direction and cap), bands with
inclusive, float-tolerant edges, piecewise-linear scales, formula scales.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..formula import ColumnEvaluator, Fail
from ..model import Plan, Scale

FloatArray = npt.NDArray[np.float64]
TOLERANCE = 1e-9
NO_ACHIEVEMENT = 6  # a Fail-like code: target 0, or actual 0 with direction lower


@dataclass
class Scored:
    """Per row: achievement (NaN if none), score (NaN if missing), why missing, band/segment used."""

    achievement: FloatArray
    score: FloatArray
    fail: npt.NDArray[np.int8]
    # band index, or linear segment: 0 below floor, 1 floor-target, 2 target-stretch, 3 capped
    step: npt.NDArray[np.int8]


def at_least(values: FloatArray, bound: float) -> npt.NDArray[np.bool_]:
    """values >= bound, where "differs by less than 1e-9 (relative)" counts as on it."""
    return values >= bound - TOLERANCE * abs(bound)


def achievement(actual: FloatArray, plan: Plan) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """actual/target (higher) or target/actual (lower), kept within 0 and the cap.

    Returns the achievement and where it cannot be computed (target 0, or
    actual 0 with direction lower). Without a target there is no achievement."""
    n = actual.shape[0]
    if plan.target is None:
        return np.full(n, np.nan), np.zeros(n, dtype=bool)
    with np.errstate(all="ignore"):
        if plan.direction == "lower":
            impossible = actual == 0
            ratio = plan.target / np.where(impossible, np.nan, actual)
        else:
            impossible = np.full(n, plan.target == 0)
            ratio = actual / plan.target if plan.target != 0 else np.full(n, np.nan)
    upper = plan.scale.cap if plan.scale.cap is not None else np.inf
    return np.clip(ratio, 0.0, upper), impossible & ~np.isnan(actual)


def _bands(x: FloatArray, scale: Scale) -> tuple[FloatArray, npt.NDArray[np.int8]]:
    score = np.full(x.shape, np.nan)
    step = np.full(x.shape, -1, dtype=np.int8)
    open_rows = ~np.isnan(x)
    for i, band in enumerate(scale.bands):
        hit = open_rows if band.min is None else open_rows & at_least(x, band.min)
        score[hit] = band.score
        step[hit] = i
        open_rows = open_rows & ~hit
    return score, step


def _linear(actual: FloatArray, ach: FloatArray, plan: Plan) -> tuple[FloatArray, npt.NDArray[np.int8]]:
    pts = plan.scale.points
    p_target = pts["target"]
    if plan.floor is None or plan.stretch is None or plan.target is None:
        return p_target * ach, np.full(actual.shape, 1, dtype=np.int8)
    p_floor, p_stretch = pts.get("floor", p_target), pts.get("stretch", p_target)
    sign = -1.0 if plan.direction == "lower" else 1.0  # lower mirrors the axis
    x, lo, mid, hi = sign * actual, sign * plan.floor, sign * plan.target, sign * plan.stretch
    with np.errstate(all="ignore"):
        rising = p_floor + (x - lo) / (mid - lo) * (p_target - p_floor)
        stretching = p_target + (x - mid) / (hi - mid) * (p_stretch - p_target)
    conditions = [~at_least(x, lo), ~at_least(x, mid), ~at_least(x, hi), np.ones(x.shape, dtype=bool)]
    score = np.select(conditions, [plan.scale.below_floor, rising, stretching, p_stretch], np.nan)
    step = np.select(conditions, [0, 1, 2, 3], -1).astype(np.int8)
    score[np.isnan(actual)] = np.nan
    return score, step


def score_plan(actual: FloatArray, actual_fail: npt.NDArray[np.int8], plan: Plan,
               evaluator: ColumnEvaluator) -> Scored:
    """Achievement and score of one indicator as a role (or the team) uses it."""
    ach, impossible = achievement(actual, plan)
    scale = plan.scale
    if scale.type == "bands":
        x = ach if scale.basis == "achievement" else actual
        score, step = _bands(x, scale)
    elif scale.type == "linear":
        score, step = _linear(actual, ach, plan)
    else:
        assert scale.formula is not None
        names = {"value": actual, "achievement": ach, "target": plan.target,
                 "floor": plan.floor, "stretch": plan.stretch}
        outcome = evaluator.evaluate(scale.formula, names, actual.shape[0])
        score, step = outcome.values, np.zeros(actual.shape, dtype=np.int8)
    fail = actual_fail.copy()
    fail[(fail == Fail.OK) & impossible] = NO_ACHIEVEMENT
    fail[(fail == Fail.OK) & np.isnan(score)] = Fail.MISSING
    score = np.where(fail == Fail.OK, score, np.nan)
    return Scored(ach, score, fail.astype(np.int8), step)
