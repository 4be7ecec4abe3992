"""From an indicator's actual value to its score, for a whole column at once.

POLICY_FORMAT 2.4-2.6: achievement (with direction and cap), bands with
inclusive, float-tolerant edges, piecewise-linear scales, formula scales.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from kpi_rules.policy.formula import ColumnEvaluator, Fail
from kpi_rules.policy.model import Plan, Scale

FloatArray = npt.NDArray[np.float64]
TOLERANCE = 1e-9
NO_ACHIEVEMENT = 6  # a Fail-like code: target 0 where the scale needs the achievement
NO_CAP = 7  # actual 0 with direction lower (the best result) on a scale that needs a `cap` to score it


@dataclass
class Scored:
    """Per row: achievement (NaN if none), score (NaN if missing), why missing, band/segment used,
    and where the achievement is the scale's cap because actual 0 with direction lower is the best result."""

    achievement: FloatArray
    score: FloatArray
    fail: npt.NDArray[np.int8]
    # band index, or linear segment: 0 below floor, 1 floor-target, 2 target-stretch, 3 capped
    step: npt.NDArray[np.int8]
    capped: npt.NDArray[np.bool_]


def at_least(values: FloatArray, bound: float | FloatArray) -> npt.NDArray[np.bool_]:
    """values >= bound (one bound, or one per row), where "differs by less than 1e-9
    (relative)" counts as on it (POLICY_FORMAT 2.6)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(values >= bound - TOLERANCE * np.abs(bound))


def first_reached(values: FloatArray, steps: Sequence[tuple[float | None, Any]], empty: Any) -> npt.NDArray[Any]:
    """Top-down table lookup (grades, team coefficients): the value of the first step whose
    `min` a row reaches, `min` inclusive; a step without `min` takes every row left."""
    out = np.full(values.shape, empty, dtype=np.asarray(empty).dtype if empty is not None else object)
    open_rows = ~np.isnan(values)
    for minimum, value in steps:
        hit = open_rows if minimum is None else open_rows & at_least(values, minimum)
        out[hit] = value
        open_rows &= ~hit
    return out


@dataclass(frozen=True)
class ColumnPlan:
    """One indicator as several roles use it, row by row: the scale, direction and missing rule
    they share, and each row's target, floor, stretch and weight (NaN/0 where it does not apply)."""

    indicator: str
    scale: Scale
    direction: str
    missing: str
    applies: npt.NDArray[np.bool_]
    weight: FloatArray
    target: FloatArray
    floor: FloatArray
    stretch: FloatArray

    @classmethod
    def of(cls, plan: Plan, n: int) -> ColumnPlan:
        """A single plan (a team indicator) for n rows."""
        def column(value: float | None) -> FloatArray:
            return np.full(n, np.nan if value is None else value)

        return cls(plan.indicator, plan.scale, plan.direction, plan.missing, np.ones(n, dtype=bool),
                   np.full(n, plan.weight), column(plan.target), column(plan.floor), column(plan.stretch))


def achievement(actual: FloatArray, plan: ColumnPlan) -> tuple[FloatArray, npt.NDArray[np.bool_],
                                                                npt.NDArray[np.bool_]]:
    """actual/target (higher) or target/actual (lower), kept within 0 and the cap.

    Returns the achievement, where it cannot be computed (target 0, direction higher), and where
    it is the best possible one (actual 0 with direction lower, POLICY_FORMAT 2.3 as amended): the
    scale's cap there, or +inf when the scale has none. Without a target there is no achievement."""
    target = plan.target
    with np.errstate(all="ignore"):
        if plan.direction == "lower":
            best = (actual == 0) & ~np.isnan(target)
            ratio = np.where(best, np.inf, target / np.where(actual == 0, np.nan, actual))
            impossible = np.zeros(actual.shape, dtype=bool)
        else:
            best = np.zeros(actual.shape, dtype=bool)
            zero = target == 0
            if zero.any():
                ratio = actual / np.where(zero, np.nan, target)
                impossible = zero & ~np.isnan(actual)
            else:  # the usual case: no temporary arrays for a divisor without zeros
                ratio = actual / target
                impossible = best  # all False, as `best`; neither is changed in place
    upper = plan.scale.cap if plan.scale.cap is not None else np.inf
    return np.clip(ratio, 0.0, upper, out=ratio), impossible, best


def needs_achievement(plan: ColumnPlan, n: int) -> npt.NDArray[np.bool_]:
    """The rows whose score is computed from the achievement, not from the actual itself: bands with
    `basis: achievement`, a target-only linear scale, a formula scale that reads `achievement`."""
    scale = plan.scale
    if scale.type == "bands":
        return np.full(n, scale.basis == "achievement")
    if scale.type == "linear":
        return np.broadcast_to(np.isnan(plan.floor) | np.isnan(plan.stretch), (n,))
    return np.full(n, scale.formula is not None and "achievement" in scale.formula.names)


def _bands(x: FloatArray, scale: Scale) -> tuple[FloatArray, npt.NDArray[np.int8]]:
    """Top-down, first band whose (tolerant) `min` x reaches; the band without `min` catches the rest.
    Returns the score and the band's index (-1: none)."""
    edges = [band.min for band in scale.bands if band.min is not None]  # descending (KR109)
    # The bands above x are those whose (tolerant) threshold x does not reach: count them.
    step = np.zeros(x.shape, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        for m in edges:
            np.add(step, x < m - TOLERANCE * abs(m), out=step)
    none = len(scale.bands)  # the index of "no band": a NaN score
    if len(scale.bands) == len(edges):  # no catch-all: below every band is no band
        step[step == len(edges)] = none
    step[np.isnan(x)] = none
    score = np.array([band.score for band in scale.bands] + [np.nan], dtype=np.float64)[step]
    step[step == none] = -1
    return score, step


def _linear(actual: FloatArray, ach: FloatArray, plan: ColumnPlan) -> tuple[FloatArray, npt.NDArray[np.int8]]:
    """Floor -> target -> stretch where a row has all three; points.target x achievement where it has a target only."""
    pts = plan.scale.points
    p_target = pts["target"]
    p_floor, p_stretch = pts.get("floor", p_target), pts.get("stretch", p_target)
    sign = -1.0 if plan.direction == "lower" else 1.0  # lower mirrors the axis
    x, lo, mid, hi = sign * actual, sign * plan.floor, sign * plan.target, sign * plan.stretch
    with np.errstate(invalid="ignore"):
        for edge in (lo, mid, hi):  # on an edge within float noise: exactly on it (2.6)
            x = np.where(np.abs(x - edge) <= TOLERANCE * np.abs(edge), edge, x)
    with np.errstate(all="ignore"):
        rising = p_floor + (x - lo) / (mid - lo) * (p_target - p_floor)
        stretching = p_target + (x - mid) / (hi - mid) * (p_stretch - p_target)
    conditions = [~at_least(x, lo), ~at_least(x, mid), ~at_least(x, hi), np.ones(x.shape, dtype=bool)]
    score = np.select(conditions, [plan.scale.below_floor, rising, stretching, p_stretch], np.nan)
    step = np.select(conditions, [0, 1, 2, 3], -1).astype(np.int8)
    three_points = ~np.isnan(plan.floor) & ~np.isnan(plan.stretch) & ~np.isnan(plan.target)
    score = np.where(three_points, score, p_target * ach)
    step = np.where(three_points, step, 1).astype(np.int8)
    score[np.isnan(actual)] = np.nan
    return score, step


def score_plan(actual: FloatArray, actual_fail: npt.NDArray[np.int8], plan: Plan | ColumnPlan,
               evaluator: ColumnEvaluator) -> Scored:
    """Achievement and score of one indicator as roles (or the team) use it."""
    if isinstance(plan, Plan):
        plan = ColumnPlan.of(plan, actual.shape[0])
    ach, impossible, best = achievement(actual, plan)
    scale = plan.scale
    if scale.type == "bands":
        x = ach if scale.basis == "achievement" else actual
        score, step = _bands(x, scale)  # uncapped and best: +inf reaches the top band
    elif scale.type == "linear":
        score, step = _linear(actual, ach, plan)
    else:
        assert scale.formula is not None
        names = {"value": actual, "achievement": ach, "target": plan.target, "floor": plan.floor,
                 "stretch": plan.stretch}
        outcome = evaluator.evaluate(scale.formula, names, actual.shape[0])
        score, step = outcome.values, np.zeros(actual.shape, dtype=np.int8)
    fail = actual_fail.astype(np.int8)  # a copy
    ok = fail == Fail.OK  # kept equal to it below: each mark takes rows still OK

    def mark(rows: npt.NDArray[np.bool_], code: int) -> None:
        hit = ok & rows
        if hit.any():  # usually none: two passes saved
            fail[hit] = code
            ok[hit] = False

    # Rows that cannot have an achievement or whose best one has no value are usually none: the
    # rows needing the achievement are only found when there are some.
    if impossible.any():
        mark(impossible & needs_achievement(plan, actual.shape[0]), NO_ACHIEVEMENT)
    if scale.cap is None and best.any():  # the best achievement has no finite value: shown as none
        if scale.type != "bands":
            mark(best & needs_achievement(plan, actual.shape[0]), NO_CAP)
        ach = np.where(best, np.nan, ach)
    mark(np.isnan(score), Fail.MISSING)
    score = np.where(ok, score, np.nan)
    capped = best & ok if scale.cap is not None else np.zeros(ok.shape, dtype=bool)
    return Scored(ach, score, fail, step, capped)
