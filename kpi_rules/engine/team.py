"""Team indicators: aggregates over a team's rows, a team score, and how it
enters each member's total (blend or coefficient). POLICY_FORMAT 2.7."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from kpi_rules.engine.plans import PlanScores, score_plans
from kpi_rules.engine.scoring import ColumnPlan, FloatArray, first_reached
from kpi_rules.policy.formula import ColumnEvaluator, Groups
from kpi_rules.policy.model import Team
from kpi_rules.results.model import ERROR, PeriodResult, flag_words, shown_column
from kpi_rules.results.reasons import Reason


@dataclass
class TeamOutcome:
    names: list[str]
    index: npt.NDArray[np.intp]  # row -> team, -1 when the row has no team or is an error
    score: FloatArray  # per team
    coefficient: FloatArray  # per team (1.0 without coefficient steps)
    actuals: dict[str, FloatArray]  # per team indicator, per team
    plans: PlanScores

    def for_rows(self, values: FloatArray) -> FloatArray:
        if not len(values):  # no team has a counted row (every row is an error)
            return np.full(self.index.shape, np.nan)
        return np.where(self.index >= 0, values[np.maximum(self.index, 0)], np.nan)


def coefficient_for(team: Team, scores: FloatArray) -> FloatArray:
    return first_reached(scores, [(step.min, step.value) for step in team.coefficient], np.nan)


def evaluate_team(team: Team, key: npt.NDArray[Any], counted: npt.NDArray[np.bool_], env: Mapping[str, Any],
                  evaluator: ColumnEvaluator) -> TeamOutcome:
    """`counted` marks the rows that take part (not errors, with a team)."""
    names = sorted({str(k) for k, c in zip(key, counted) if c and k is not None})
    lookup = {name: i for i, name in enumerate(names)}
    index = np.array([lookup.get(k, -1) if c else -1 for k, c in zip(key, counted)], dtype=np.intp)
    groups = Groups(index, len(names))
    actuals, fails = [], []
    for ti in team.indicators:
        outcome = evaluator.evaluate(ti.formula, env, len(names), groups=groups)
        actuals.append(outcome.values)
        fails.append(outcome.fail)
    plans = score_plans([ColumnPlan.of(ti.plan, len(names)) for ti in team.indicators], actuals, fails, evaluator)
    coefficient = coefficient_for(team, plans.total) if team.coefficient else np.ones(len(names))
    return TeamOutcome(names, index, plans.total, coefficient,
                       {ti.id: a for ti, a in zip(team.indicators, actuals)}, plans)


def team_rows(team: Team, outcome: TeamOutcome, members: npt.NDArray[np.intp]) -> list[dict[str, Any]]:
    """The `teams` section of the results: one entry per team (each column made shown once, not a
    value at a time: a large employer has tens of thousands of teams)."""
    plans = outcome.plans
    columns = []
    for k, ti in enumerate(team.indicators):
        s = plans.scored[k]
        columns.append((ti, shown_column(outcome.actuals[ti.id]), shown_column(s.achievement), shown_column(s.score),
                        shown_column(plans.effective_weight[k], 6), shown_column(plans.weighted[k]),
                        s.fail.tolist(), plans.treatment[k].tolist(), s.capped.tolist()))
    scores = shown_column(outcome.score, 2)
    coefficients = shown_column(outcome.coefficient) if team.coefficient else [None] * len(outcome.names)
    counts = members.tolist()
    out = []
    for g, name in enumerate(outcome.names):
        indicators = {}
        for ti, actual, achievement, score, weight, weighted, fail, treatment, capped in columns:
            indicators[ti.id] = {
                "actual": actual[g], "target": ti.plan.target, "achievement": achievement[g], "score": score[g],
                "weight": weight[g], "weighted": weighted[g],
                "flags": flag_words(int(fail[g]), int(treatment[g]), bool(capped[g])),
            }
        out.append({
            "team": name, "members": int(counts[g]), "indicators": indicators, "team_score": scores[g],
            "coefficient": coefficients[g], "blend": team.blend,
        })
    return out


def mark_team_errors(team: Team, outcome: TeamOutcome, res: PeriodResult,
                     rated: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """A team indicator without a value under `missing: error` makes its members' rows errors
    (POLICY_FORMAT 2.3). Returns the rows still rated."""
    if not outcome.plans.errors.any():
        return rated
    for g in np.flatnonzero(outcome.plans.errors):
        which = [ti.id for k, ti in enumerate(team.indicators) if outcome.plans.treatment[k][g] == ERROR]
        for row in np.flatnonzero(rated & (outcome.index == g)):
            res.status[row] = "error"
            for indicator in which:
                res.reasons[row].append(Reason("team_indicator_error", indicator=indicator,
                                               team=outcome.names[g]))
    still: npt.NDArray[np.bool_] = res.status == "rated"
    return still
