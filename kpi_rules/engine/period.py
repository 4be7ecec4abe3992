"""One appraisal period: rows in, every column of the results out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from kpi_rules.common.arrays import none_mask
from kpi_rules.common.rounding import round_array
from kpi_rules.data.table import Table
from kpi_rules.engine.adjust import apply_adjustments, apply_vetoes, suggestions_for
from kpi_rules.engine.grading import distribute, grade_codes, named_grades, pay_coefficients
from kpi_rules.engine.plans import score_plans
from kpi_rules.engine.scoring import ColumnPlan, FloatArray
from kpi_rules.engine.team import evaluate_team, mark_team_errors, team_rows
from kpi_rules.policy.formula import ColumnEvaluator
from kpi_rules.policy.model import Indicator, Plan, Policy
from kpi_rules.results.model import ERROR, STATUS, IndicatorColumns, PeriodResult
from kpi_rules.results.reasons import Reason


def _take(table: Table, rows: npt.NDArray[np.intp]) -> Callable[[Any], Any]:
    """Select the period's rows from a column; all rows in order (the usual case) need no copy, and
    a run of rows (one period of a file sorted by period) only a view. Columns are never changed
    in place (they may be the caller's table's own)."""
    if len(rows) == table.n and (not len(rows) or (rows[0] == 0 and rows[-1] == table.n - 1)):
        return lambda column: column
    if len(rows) and rows[-1] - rows[0] == len(rows) - 1:  # ascending, so a run
        run = slice(int(rows[0]), int(rows[-1]) + 1)
        return lambda column: column[run]
    return lambda column: column[rows]


def _new_result(policy: Policy, table: Table, rows: npt.NDArray[np.intp], period: str | None) -> PeriodResult:
    reasons = table.errors.take(rows)
    status = np.full(len(rows), "rated", dtype=STATUS)
    status[reasons.mask()] = "error"
    take = _take(table, rows)
    text = {k: take(v) for k, v in table.text.items()}
    return PeriodResult(
        # every row, in order (one period's file): the table's own list of lines, not a copy of 1M ints
        period=period, lines=_lines(table, rows),
        employee_id=text["employee_id"], name=text["name"], role=text["role"], team=text["team"],
        row_period=text["period"], status=status, reasons=reasons,
        decimals=policy.decimals, files=_files(table, rows))


def _lines(table: Table, rows: npt.NDArray[np.intp]) -> list[int]:
    """The period's rows' lines: every row in order (one period's file) is the table's own list, not a
    copy of 1M ints; a run of rows a slice of it."""
    if len(rows) == table.n:
        return table.lines
    if len(rows) and rows[-1] - rows[0] == len(rows) - 1:
        return table.lines[int(rows[0]):int(rows[-1]) + 1]
    return np.asarray(table.lines, dtype=np.int64)[rows].tolist()  # type: ignore[no-any-return]


def _files(table: Table, rows: npt.NDArray[np.intp]) -> list[str]:
    """Each of the period's rows' data file, when several were read as one (else empty)."""
    if not table.sources:
        return []
    names = [source.file for source in table.sources for _ in range(source.rows)]
    return [names[r] for r in rows.tolist()]


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


def _column_plans(policy: Policy, role_code: npt.NDArray[np.intp], active: npt.NDArray[np.bool_]
                  ) -> tuple[list[ColumnPlan], list[npt.NDArray[np.intp]]]:
    """Each indicator as the roles use it (one column plan per scale/direction/missing rule), and for
    each position in a role's plan list, the column plan every row adds at that position."""
    roles = list(policy.roles.values())
    slot: dict[tuple[str, str, str, str], int] = {}  # (indicator, scale, direction, missing) -> column plan
    members: list[list[tuple[int, Plan]]] = []
    where: list[list[int]] = [[] for _ in roles]  # role -> column plan of each of its plans, in order
    for r, role in enumerate(roles):
        for plan in role.plans:
            key = (plan.indicator, plan.scale.id, plan.direction, plan.missing)
            if key not in slot:
                slot[key] = len(members)
                members.append([])
            members[slot[key]].append((r, plan))
            where[r].append(slot[key])
    code = np.where(role_code >= 0, role_code, len(roles))  # the last slot of each table: no role

    plans = []
    for group in members:

        def per_row(values: list[float], default: float, group: list[tuple[int, Plan]] = group) -> FloatArray:
            # Rows the group does not cover are masked out wherever these are read, so one value
            # shared by the whole group needs no per-row lookup.
            shared = {values[r] for r, _ in group}
            if len(shared) == 1:
                return np.asarray(shared.pop(), dtype=np.float64)  # 0-d: broadcasts like a column
            return np.asarray(values + [default], dtype=np.float64)[code]

        first = group[0][1]
        table = {name: [np.nan] * len(roles) for name in ("target", "floor", "stretch")}
        weight, uses = [0.0] * len(roles), [False] * len(roles)
        for r, plan in group:
            weight[r], uses[r] = plan.weight, True
            for name in table:
                value = getattr(plan, name)
                table[name][r] = np.nan if value is None else value
        plans.append(ColumnPlan(first.indicator, first.scale, first.direction, first.missing,
                                np.asarray(uses + [False])[code] & active, per_row(weight, 0.0),
                                per_row(table["target"], np.nan), per_row(table["floor"], np.nan),
                                per_row(table["stretch"], np.nan)))
    depth = max((len(w) for w in where), default=0)
    positions = [np.asarray([w[k] if k < len(w) else -1 for w in where] + [-1], dtype=np.intp)[code]
                 for k in range(depth)]
    return plans, positions


def _unused_columns(ind: Indicator, actual: FloatArray, n: int) -> IndicatorColumns:
    """An indicator's columns before any role's plan fills them: applies nowhere."""
    nan = np.full(n, np.nan)
    return IndicatorColumns(ind.id, ind.label, ind.group, ind.unit, np.zeros(n, dtype=bool), actual, nan, nan, nan,
                            nan, nan, np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n, dtype=np.int8),
                            np.zeros(n, dtype=np.int8), np.full(n, -1, dtype=np.int8))


def _off(values: npt.NDArray[Any], on: npt.NDArray[np.bool_], blank: Any) -> npt.NDArray[Any]:
    """`np.where(on, values, blank)`, in place when `values` is a column of its own (the plan's
    scores, used once): at 1M rows each copy is 8 MB per indicator."""
    if values.shape == on.shape and values.base is None and values.flags.writeable:
        values[~on] = blank
        return values
    return np.where(on, values, blank)


def _role_scores(policy: Policy, res: PeriodResult, role_code: npt.NDArray[np.intp], actuals: dict[str, Any],
                 fails: dict[str, Any], ev: ColumnEvaluator) -> None:
    n = res.n
    active = res.status == "rated"
    plans, positions = _column_plans(policy, role_code, active)
    scores = score_plans(plans, [actuals[p.indicator] for p in plans], [fails[p.indicator] for p in plans], ev,
                         positions)
    shared = Counter(plan.indicator for plan in plans)
    cols = {ind.id: _unused_columns(ind, actuals[ind.id], n) for ind in policy.indicators
            if shared[ind.id] != 1}  # the usual indicator, used one way by every role, is made below
    for k, plan in enumerate(plans):
        s, on = scores.scored[k], plan.applies
        target, floor, stretch, weight = (np.broadcast_to(v, (n,)) for v in
                                          (plan.target, plan.floor, plan.stretch, plan.weight))
        # Where the indicator does not apply, score('id') and achievement('id') read as missing.
        if shared[plan.indicator] == 1:
            ind = policy.indicator(plan.indicator)
            cols[ind.id] = IndicatorColumns(
                ind.id, ind.label, ind.group, ind.unit, on, actuals[ind.id], target, floor, stretch,
                _off(s.achievement, on, np.nan), _off(s.score, on, np.nan), weight,
                scores.effective_weight[k], scores.weighted[k], np.where(on, s.fail, np.int8(0)),
                scores.treatment[k], s.step, np.where(on, s.capped, False))
        else:
            c = cols[plan.indicator]
            c.applies = c.applies | on
            c.target, c.floor, c.stretch = (np.where(on, v, old) for v, old in
                                            ((target, c.target), (floor, c.floor), (stretch, c.stretch)))
            c.step = np.where(on, s.step, c.step).astype(np.int8)
            c.achievement = np.where(on, s.achievement, c.achievement)
            c.score, c.fail = np.where(on, s.score, c.score), np.where(on, s.fail, c.fail).astype(np.int8)
            c.weight, c.effective_weight = np.where(on, weight, c.weight), np.where(on, scores.effective_weight[k],
                                                                                  c.effective_weight)
            c.weighted = np.where(on, scores.weighted[k], c.weighted)
            c.treatment = np.where(on, scores.treatment[k], c.treatment).astype(np.int8)
            c.capped = np.where(on, s.capped, c.capped if len(c.capped) else False)
        for row in np.flatnonzero(on & (scores.treatment[k] == ERROR)):
            res.reasons[row].append(Reason("indicator_error", indicator=plan.indicator))
    res.individual = np.where(active, scores.total, np.nan)
    res.status[active & scores.errors] = "error"
    for row in np.flatnonzero(active & np.isnan(scores.total) & ~scores.errors):
        res.status[row] = "not_rated"
        res.reasons[row].append(Reason("all_excluded"))
    res.indicators = {ind.id: cols[ind.id] for ind in policy.indicators}  # in the policy's order


def evaluate_period(policy: Policy, table: Table, rows: npt.NDArray[np.intp], period: str | None,
                    ev: ColumnEvaluator, calibrate: Callable[[PeriodResult], Any] | None = None) -> PeriodResult:
    """The period's results; `calibrate` (engine.calibrate) changes grades after forced distribution,
    before pay coefficients and suggestions read them."""
    res = _new_result(policy, table, rows, period)
    n = res.n
    take = _take(table, rows)
    env: dict[str, Any] = {k: take(v) for k, v in table.text.items()}
    env.update({k: take(v) for k, v in table.numbers.items()})
    _eligibility(policy, res, env, ev)
    actuals, fails = _actuals(policy, env, n, ev)
    _role_scores(policy, res, take(table.role_code), actuals, fails, ev)
    rated = res.status == "rated"
    res.team_score, res.coefficient_team = np.full(n, np.nan), np.ones(n)
    total = res.individual.copy()
    if policy.team:
        team = evaluate_team(policy.team, env.get(policy.team.key, res.team), res.status != "error", env, ev)
        rated = mark_team_errors(policy.team, team, res, rated)
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
    res.bonus, res.bonuses, huge_bonus = apply_adjustments(policy.bonuses, policy.bonus_cap, "bonus", env, n, ev,
                                                           res.reasons, rated)
    res.deduction, res.deductions, huge_deduction = apply_adjustments(
        policy.deductions, policy.deduction_cap, "deduction", env, n, ev, res.reasons, rated)
    with np.errstate(all="ignore"):
        raw_final = (total + res.bonus - res.deduction) * res.coefficient_team
    for row in np.flatnonzero(rated & np.isinf(raw_final) & ~huge_bonus & ~huge_deduction).tolist():
        res.reasons[row].append(Reason("result_too_large"))
    too_large = huge_bonus | huge_deduction | np.isinf(raw_final)
    res.status[rated & too_large] = "error"
    rated = rated & ~too_large  # `rated` was the rows whose status is rated: still so, without a text compare
    res.final = round_array(np.where(rated, raw_final, np.nan), policy.decimals, policy.rounding_mode)
    res.veto, forced, huge_veto = apply_vetoes(policy.vetoes, env, n, ev, res.reasons, rated)
    if huge_veto.any():
        res.status[huge_veto] = "error"
        rated = res.status == "rated"
        res.final = np.where(rated, res.final, np.nan)
    codes = grade_codes(policy.grades, res.final)
    res.grade = graded = named_grades(policy.grades, codes)
    vetoed = np.zeros(n, dtype=bool)
    if policy.vetoes:  # else no row has a veto: two element-wise compares of object arrays saved
        res.grade = np.where(none_mask(forced), res.grade, forced)
        vetoed = ~none_mask(res.veto)
    for i in np.flatnonzero(vetoed & rated):
        res.reasons[i].append(Reason("veto_sets_grade", id=res.veto[i], grade=forced[i]))
    res.grade_before_distribution = res.grade.copy()
    if policy.distribution:
        res.grade, res.distribution, moved = distribute(
            policy.distribution, policy.grades, res.team, res.final, res.grade, vetoed, rated,
            res.employee_id)
        for row, why in moved.items():
            res.reasons[row].append(why)
    if calibrate is not None:
        calibrate(res)
    # Vetoes, distribution and calibration give a new array when they change a grade: untouched,
    # the grades are still their codes.
    res.pay_coefficient = pay_coefficients(policy, res.grade, codes if res.grade is graded else None)
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
        # Count each suggestion's rated members per team in one pass over the rows (a large
        # employer has tens of thousands of teams: never compare every row once per team).
        has_team = rated & ~none_mask(res.team)
        names, team_of_row = np.unique(res.team[has_team].astype(str), return_inverse=True)
        counts = [(text, np.bincount(team_of_row[fires[has_team]], minlength=len(names)))
                  for text, fires in per_team.items]
        index = {name: k for k, name in enumerate(names.tolist())}
        for entry in res.teams:
            k = index.get(str(entry["team"]))
            entry["suggestions"] = [
                {"id": by_text[text].id, "text": text, "members": int(per[k])}
                for text, per in counts if k is not None and per[k]]
