"""One appraisal period: rows in, every column of the results out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from ..arrays import none_mask
from ..data import Table
from ..formula import ColumnEvaluator
from ..model import Policy
from ..reasons import Reason
from ..results import IndicatorColumns, PeriodResult
from ..rounding import round_array
from .adjust import apply_adjustments, apply_vetoes, suggestions_for
from .grading import distribute, grade_of, pay_coefficients
from .plans import score_plans
from .team import evaluate_team, team_rows


def _take(table: Table, rows: npt.NDArray[np.intp]) -> Callable[[Any], Any]:
    """Select the period's rows from a column; all rows in order (the usual case) need no copy."""
    if len(rows) == table.n and (not len(rows) or (rows[0] == 0 and rows[-1] == table.n - 1)):
        return lambda column: column
    return lambda column: column[rows]


def _new_result(policy: Policy, table: Table, rows: npt.NDArray[np.intp], period: str | None) -> PeriodResult:
    reasons = table.errors.take(rows)
    status = np.where(reasons.mask(), "error", "rated").astype(object)
    take = _take(table, rows)
    text = {k: take(v) for k, v in table.text.items()}
    return PeriodResult(
        period=period, lines=take(np.asarray(table.lines, dtype=np.int64)).tolist(),
        employee_id=text["employee_id"], name=text["name"], role=text["role"], team=text["team"],
        row_period=text["period"], status=status, reasons=reasons,
        decimals=policy.decimals)


def _eligibility(policy: Policy, res: PeriodResult, env: dict[str, Any], ev: ColumnEvaluator) -> None:
    if policy.eligibility is None:
        return
    values = ev.evaluate(policy.eligibility, env, res.n).values
    for i in np.flatnonzero((values != 1.0) & (res.status == "rated")):
        res.status[i] = "not_rated"
        # The policy's own reason is HR's text, shown as written; the default is ours.
        reason: str = policy.eligibility_reason or Reason("not_eligible")
        if np.isnan(values[i]):
            reason = Reason("eligibility_unknown", reason=reason)
        res.reasons[i].append(reason)


def _actuals(policy: Policy, env: dict[str, Any], n: int, ev: ColumnEvaluator) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every indicator's actual value, in dependency order; an input of the same name wins."""
    actuals, fails = {}, {}
    for ind in policy.indicators:
        outcome = ev.evaluate(ind.formula, env, n)
        actuals[ind.id], fails[ind.id] = outcome.values, outcome.fail
        if ind.id not in policy.inputs:
            env[ind.id] = outcome.values
    return actuals, fails


def _role_scores(policy: Policy, res: PeriodResult, actuals: dict[str, Any], fails: dict[str, Any],
                 ev: ColumnEvaluator) -> None:
    n = res.n
    cols: dict[str, IndicatorColumns] = {}
    for ind in policy.indicators:
        nan = np.full(n, np.nan)
        cols[ind.id] = IndicatorColumns(
            ind.id, ind.label, ind.group, ind.unit, np.zeros(n, dtype=bool), actuals[ind.id], nan.copy(),
            nan.copy(), nan.copy(), nan.copy(), nan.copy(), np.zeros(n), np.zeros(n), np.zeros(n),
            np.zeros(n, dtype=np.int8), np.full(n, None, dtype=object), np.full(n, -1, dtype=np.int8))
    res.individual = np.full(n, np.nan)
    active = res.status == "rated"
    for role in policy.roles.values():
        mask = np.flatnonzero((res.role == role.id) & active)
        if not len(mask):
            continue
        scores = score_plans(role.plans, [actuals[p.indicator][mask] for p in role.plans],
                             [fails[p.indicator][mask] for p in role.plans], ev)
        for k, plan in enumerate(role.plans):
            c, s = cols[plan.indicator], scores.scored[k]
            c.applies[mask] = True
            c.target[mask], c.floor[mask], c.stretch[mask] = (np.nan if v is None else v
                                                             for v in (plan.target, plan.floor, plan.stretch))
            c.achievement[mask], c.score[mask], c.fail[mask], c.step[mask] = s.achievement, s.score, s.fail, s.step
            c.weight[mask], c.effective_weight[mask] = plan.weight, scores.effective_weight[k]
            c.weighted[mask], c.treatment[mask] = scores.weighted[k], scores.treatment[k]
            for j in np.flatnonzero(scores.treatment[k] == "error"):
                res.reasons[mask[j]].append(Reason("indicator_error", indicator=plan.indicator))
        res.individual[mask] = scores.total
        res.status[mask[scores.errors]] = "error"
        for j in np.flatnonzero(np.isnan(scores.total) & ~scores.errors):
            res.status[mask[j]] = "not_rated"
            res.reasons[mask[j]].append(Reason("all_excluded"))
    res.indicators = cols


def evaluate_period(policy: Policy, table: Table, rows: npt.NDArray[np.intp], period: str | None,
                    ev: ColumnEvaluator) -> PeriodResult:
    res = _new_result(policy, table, rows, period)
    n = res.n
    take = _take(table, rows)
    env: dict[str, Any] = {k: take(v) for k, v in table.text.items()}
    env.update({k: take(v) for k, v in table.numbers.items()})
    _eligibility(policy, res, env, ev)
    actuals, fails = _actuals(policy, env, n, ev)
    _role_scores(policy, res, actuals, fails, ev)
    rated = res.status == "rated"
    res.team_score, res.coefficient_team = np.full(n, np.nan), np.ones(n)
    total = res.individual.copy()
    if policy.team:
        team = evaluate_team(policy.team, env.get(policy.team.key, res.team), res.status != "error", env, ev)
        res.team_score = team.for_rows(team.score)
        members = np.bincount(team.index[(team.index >= 0) & rated], minlength=len(team.names))
        res.teams = team_rows(policy.team, team, members)
        unavailable = rated & np.isnan(res.team_score)
        for i in np.flatnonzero(unavailable):
            res.reasons[i].append(Reason("team_unavailable"))
        if policy.team.blend is not None:
            b = policy.team.blend
            total = np.where(unavailable, total, (1 - b) * total + b * res.team_score)
        else:
            res.coefficient_team = np.where(unavailable, 1.0, team.for_rows(team.coefficient))
    res.bonus, res.bonuses = apply_adjustments(policy.bonuses, policy.bonus_cap, "bonus", env, n, ev,
                                               res.reasons, rated)
    res.deduction, res.deductions = apply_adjustments(policy.deductions, policy.deduction_cap, "deduction", env, n,
                                                      ev, res.reasons, rated)
    raw_final = (total + res.bonus - res.deduction) * res.coefficient_team
    res.final = round_array(np.where(rated, raw_final, np.nan), policy.decimals, policy.rounding_mode)
    res.veto, forced = apply_vetoes(policy.vetoes, env, n, ev, res.reasons, rated)
    res.grade = grade_of(policy.grades, res.final)
    res.grade = np.where(none_mask(forced), res.grade, forced)
    for i in np.flatnonzero(~none_mask(res.veto) & rated):
        res.reasons[i].append(Reason("veto_sets_grade", id=res.veto[i], grade=forced[i]))
    res.grade_before_distribution = res.grade.copy()
    if policy.distribution:
        res.grade, res.distribution, moved = distribute(
            policy.distribution, policy.grades, res.team, res.final, res.grade, ~none_mask(res.veto), rated,
            res.employee_id)
        for row, why in moved.items():
            res.reasons[row].append(why)
    res.pay_coefficient = pay_coefficients(policy, res.grade)
    _suggest(policy, res, env, actuals, ev)
    return res


def _suggest(policy: Policy, res: PeriodResult, env: dict[str, Any], actuals: dict[str, Any],
             ev: ColumnEvaluator) -> None:
    env = dict(env, final=res.final, grade=res.grade, individual=res.individual, team_score=res.team_score,
               bonus=res.bonus, deduction=res.deduction)
    cols = res.indicators

    def column(attr: str) -> Any:
        return lambda ind_id: getattr(cols[ind_id], attr) if ind_id in cols else np.full(res.n, np.nan)

    lookups = {"score": column("score"), "actual": lambda i: actuals.get(i, np.full(res.n, np.nan)),
               "achievement": column("achievement")}
    rated = res.status == "rated"
    res.suggestions = suggestions_for(policy.suggestions, env, res.n, ev, lookups, rated)
    if res.teams:
        per_team = suggestions_for(policy.suggestions, env, res.n, ev, lookups, rated, scope="team")
        by_text = {s.text: s for s in policy.suggestions if s.scope == "team"}
        for entry in res.teams:
            members = rated & (res.team == entry["team"])
            entry["suggestions"] = [
                {"id": by_text[text].id, "text": text, "members": int((fires & members).sum())}
                for text, fires in per_team.items if (fires & members).any()]
