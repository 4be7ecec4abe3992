"""The roll-up review (e.g. the annual review from four quarters), POLICY_FORMAT 2.9."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from kpi_rules.common.arrays import none_mask
from kpi_rules.common.periods import parse_period
from kpi_rules.common.rounding import round_array
from kpi_rules.engine.grading import distribute, grade_of, pay_coefficients
from kpi_rules.policy.model import Policy
from kpi_rules.results.model import STATUS, PeriodResult, row_where, shown
from kpi_rules.results.notes import FiredItems, RowNotes
from kpi_rules.results.reasons import Reason, Word


def _combine(policy: Policy, finals: list[tuple[str, float]]) -> float:
    rollup = policy.rollup
    assert rollup is not None
    if rollup.method == "last":
        return finals[-1][1]
    if rollup.method == "weighted":
        weights = [rollup.weights.get(parse_period(p).label, 0.0) for p, _ in finals]
        if sum(weights) == 0:
            return float("nan")
        return sum(w * f for w, (_, f) in zip(weights, finals)) / sum(weights)
    return sum(f for _, f in finals) / len(finals)


def _where(part: PeriodResult, i: int) -> int | str:
    """Row i's line, as `q2.csv:5` when several data files were read as one."""
    return f"{part.files[i]}:{part.lines[i]}" if part.files else part.lines[i]


def rollup_result(policy: Policy, period: str, parts: list[PeriodResult]) -> PeriodResult:
    """One entry per employee, from the period results in chronological order."""
    assert policy.rollup is not None
    entries: dict[Any, list[tuple[PeriodResult, int]]] = {}
    for part in parts:
        for i in range(part.n):
            key = part.employee_id[i] if part.employee_id[i] is not None else ("line", part.period, _where(part, i))
            entries.setdefault(key, []).append((part, i))
    n = len(entries)

    def obj() -> npt.NDArray[Any]:
        return np.full(n, None, dtype=object)

    res = PeriodResult(period=period, lines=[], employee_id=obj(), name=obj(), role=obj(), team=obj(),
                       row_period=np.full(n, period, dtype=object), status=np.full(n, "rated", dtype=STATUS),
                       reasons=RowNotes(n), decimals=policy.decimals)
    raw = np.full(n, np.nan)
    res.veto = obj()
    forced = obj()
    for k, (key, rows) in enumerate(entries.items()):
        last_part, last_i = rows[-1]
        res.lines.append(rows[0][0].lines[rows[0][1]])
        if rows[0][0].files:
            res.files.append(rows[0][0].files[rows[0][1]])
        res.employee_id[k] = last_part.employee_id[last_i]
        res.name[k], res.role[k], res.team[k] = (last_part.name[last_i], last_part.role[last_i],
                                                  last_part.team[last_i])
        finals: list[tuple[str, float]] = []
        breakdown: dict[str, Any] = {}
        repeated: dict[str, list[int | str]] = {}
        for part, i in rows:
            assert part.period is not None  # the parts of a roll-up are named periods
            status = str(part.status[i])
            if part.period in breakdown:  # the employee twice in one period: those rows are errors (duplicate_row)
                repeated.setdefault(part.period, [row_where(breakdown[part.period])]).append(_where(part, i))
            else:
                breakdown[part.period] = {"status": status, "line": part.lines[i],
                                          **({"file": part.files[i]} if part.files else {}),
                                          "final": shown(part.final[i], policy.decimals) if status == "rated" else None,
                                          "grade": part.grade[i] if status == "rated" else None}
            if status == "rated":
                finals.append((part.period, float(part.final[i])))
                if part.veto[i] is not None and part.veto_overridden(i):
                    res.reasons[k].append(Reason("rollup_veto_overridden", id=part.veto[i], period=part.period))
                elif part.veto[i] is not None and res.veto[k] is None:
                    res.veto[k], forced[k] = part.veto[i], policy.grade(part.grade_before_distribution[i]).grade
                    res.reasons[k].append(Reason("rollup_veto", id=part.veto[i], period=part.period, grade=forced[k]))
            else:
                res.reasons[k].append(Reason("rollup_period", period=part.period, line=_where(part, i),
                                             status=Word(status), why=list(part.reasons[i]) or Word(status)))
        for per, lines in repeated.items():
            breakdown[per].update(status="error", final=None, grade=None)
            finals = [(p, f) for p, f in finals if p != per]
            res.reasons[k].append(Reason("rollup_repeated", period=per, count=len(lines),
                                         lines=", ".join(map(str, lines))))
        res.periods.append(breakdown)
        if key[0] == "line" if isinstance(key, tuple) else False:
            res.status[k] = "error"
            continue
        if len(finals) < policy.rollup.min_periods:
            res.status[k] = "not_rated"
            res.reasons[k].append(Reason("rollup_too_few", count=len(finals), needed=policy.rollup.min_periods))
            continue
        raw[k] = _combine(policy, finals)
        if np.isnan(raw[k]):
            res.status[k] = "not_rated"
            res.reasons[k].append(Reason("rollup_zero_weight"))
    rated = res.status == "rated"
    res.final = round_array(np.where(rated, raw, np.nan), policy.decimals, policy.rounding_mode)
    res.grade = grade_of(policy.grades, res.final)
    res.grade = np.where(none_mask(forced), res.grade, forced)
    res.grade_before_distribution = res.grade.copy()
    if policy.distribution:
        res.grade, res.distribution, moved = distribute(policy.distribution, policy.grades, res.team, res.final,
                                                        res.grade, ~none_mask(res.veto), rated, res.employee_id)
        for i, moved_why in moved.items():
            res.reasons[i].append(moved_why)
    res.pay_coefficient = pay_coefficients(policy, res.grade)
    nan = np.full(n, np.nan)
    res.individual, res.team_score, res.bonus, res.deduction, res.coefficient_team = nan, nan, nan, nan, nan
    res.bonuses, res.deductions, res.suggestions = FiredItems(n), FiredItems(n), FiredItems(n)
    return res
