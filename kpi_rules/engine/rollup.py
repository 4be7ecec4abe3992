"""The roll-up review (e.g. the annual review from four quarters), POLICY_FORMAT 2.9."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from kpi_rules.common.arrays import none_mask
from kpi_rules.common.periods import parse_period
from kpi_rules.common.rounding import round_array
from kpi_rules.engine.grading import distribute, grade_of, pay_coefficients
from kpi_rules.policy.model import Policy
from kpi_rules.results.breakdown import PartRows, PeriodBreakdown
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


def _weight(policy: Policy, period: str | None) -> float:
    assert policy.rollup is not None and period is not None
    return policy.rollup.weights.get(parse_period(period).label, 0.0)


def _combined(policy: Policy, finals: npt.NDArray[np.float64], weights: npt.NDArray[np.float64],
              counts: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
    """`_combine` for every employee at once: `finals[k, j]` is employee k's j-th rated period
    (0 beyond `counts[k]`). Sums run left to right, as Python's sum() does them."""
    assert policy.rollup is not None
    n, width = finals.shape
    if policy.rollup.method == "last":
        return finals[np.arange(n), np.maximum(counts - 1, 0)]
    total, weight = np.zeros(n), np.zeros(n)
    with np.errstate(all="ignore"):
        for j in range(width):
            if policy.rollup.method == "weighted":
                total = total + weights[:, j] * finals[:, j]
                weight = weight + weights[:, j]
            else:
                total = total + finals[:, j]
        if policy.rollup.method == "weighted":
            return np.where(weight == 0, np.nan, total / np.where(weight == 0, 1.0, weight))
        return total / np.maximum(counts, 1)


def _entry(policy: Policy, parts: list[PeriodResult], rows: list[tuple[int, int]], k: int, res: PeriodResult,
           forced: npt.NDArray[Any], raw: npt.NDArray[np.float64]) -> dict[str, Any]:
    """Employee k from its rows (part, row) one by one: some period not rated, a veto, the
    employee twice in a period, or a row without an employee_id. Returns its period breakdown."""
    assert policy.rollup is not None
    finals: list[tuple[str, float]] = []
    breakdown: dict[str, Any] = {}
    repeated: dict[str, list[int | str]] = {}
    for p, i in rows:
        part = parts[p]
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
    part, i = parts[rows[0][0]], rows[0][1]
    if part.employee_id[i] is None:  # a row without an employee_id: an entry of its own, an error
        res.status[k] = "error"
    elif len(finals) < policy.rollup.min_periods:
        res.status[k] = "not_rated"
        res.reasons[k].append(Reason("rollup_too_few", count=len(finals), needed=policy.rollup.min_periods))
    else:
        raw[k] = _combine(policy, finals)
        if np.isnan(raw[k]):
            res.status[k] = "not_rated"
            res.reasons[k].append(Reason("rollup_zero_weight"))
    return breakdown


def _employees(firsts: list[npt.NDArray[np.intp]]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
    """Each row's employee, numbered in order of first appearance, from `firsts` (each part's rows'
    first row of the table with the same employee_id, -1 without one: such a row is an employee
    of its own); and which rows have no employee_id."""
    keys = np.concatenate(firsts).astype(np.int64) if firsts else np.zeros(0, dtype=np.int64)
    alone = keys < 0
    keys[alone] = int(keys.max(initial=0)) + 1 + np.arange(int(alone.sum()))
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    number = np.empty(len(first), dtype=np.intp)
    number[np.argsort(first, kind="stable")] = np.arange(len(first))
    return number[inverse.ravel()], alone


def rollup_result(policy: Policy, period: str, parts: list[PeriodResult],
                  firsts: list[npt.NDArray[np.intp]]) -> PeriodResult:
    """One entry per employee, from the period results in chronological order; `firsts[p]` are
    part p's rows' `Table.id_first`.

    The rows of every part are grouped by employee once; employees rated in each of their periods
    once and without a veto (nearly all) are combined in whole-column operations, the others one
    by one (`_entry`)."""
    assert policy.rollup is not None
    group, alone = _employees(firsts)
    total = len(group)
    n = int(group.max(initial=-1)) + 1
    which = np.repeat(np.arange(len(parts), dtype=np.intp), [part.n for part in parts])  # each row's part
    within = np.arange(total, dtype=np.intp) - np.repeat(np.cumsum([0] + [part.n for part in parts])[:-1],
                                                          [part.n for part in parts]).astype(np.intp)
    order = np.argsort(group, kind="stable")  # by employee, then in the parts' (chronological) order
    bounds = np.searchsorted(group[order], np.arange(n + 1))
    first_row, last_row = order[bounds[:-1]], order[bounds[1:] - 1]

    def obj() -> npt.NDArray[Any]:
        return np.full(n, None, dtype=object)

    res = PeriodResult(period=period, lines=[], employee_id=obj(), name=obj(), role=obj(), team=obj(),
                       row_period=np.full(n, period, dtype=object), status=np.full(n, "rated", dtype=STATUS),
                       reasons=RowNotes(n), decimals=policy.decimals)
    raw = np.full(n, np.nan)
    res.veto = obj()
    forced = obj()
    if not n:
        res.periods = PeriodBreakdown()
    else:
        def cat(column: str) -> npt.NDArray[Any]:
            return np.concatenate([getattr(part, column) for part in parts])

        def at(rows: npt.NDArray[np.intp], values: Callable[[PeriodResult], Sequence[Any]]) -> npt.NDArray[Any]:
            """values(part) at `rows` of the parts put together, without putting them together."""
            out = np.empty(len(rows), dtype=object)
            for p, part in enumerate(parts):
                mine = which[rows] == p
                if mine.any():
                    column, taken = values(part), within[rows[mine]]
                    out[mine] = column[taken] if isinstance(column, np.ndarray) else \
                        list(map(column.__getitem__, taken.tolist()))
            return out

        for column in ("employee_id", "name", "role", "team"):
            getattr(res, column)[:] = at(last_row, attrgetter(column))
        res.lines = at(first_row, attrgetter("lines")).tolist()
        if any(part.files for part in parts):
            res.files = [f for f in at(first_row, lambda part: part.files or [None] * part.n).tolist() if f is not None]
        status, final = cat("status"), cat("final")
        rated = status == "rated"
        special = np.zeros(n, dtype=bool)
        special[group[~rated | ~none_mask(cat("veto"))]] = True
        special[group[alone]] = True
        pairs = np.bincount(group * len(parts) + which, minlength=n * len(parts))
        special[np.flatnonzero(pairs > 1) // len(parts)] = True  # twice in one period
        names = [str(part.period) for part in parts]
        made: dict[int, dict[str, Any]] = {}  # the breakdowns of the employees taken one by one
        for k in np.flatnonzero(special).tolist():
            mine = order[bounds[k]:bounds[k + 1]]
            made[k] = _entry(policy, parts, list(zip(which[mine].tolist(), within[mine].tolist())), k, res, forced,
                             raw)
        columns = PartRows(names, which, status, final, policy.decimals, [part.lines for part in parts],
                           [part.files for part in parts], [part.grade for part in parts])
        res.periods = PeriodBreakdown(n, columns, order, bounds, made)
        simple = ~special
        counts = np.diff(bounds)
        width = int(counts[simple].max(initial=0))
        grid, weights = np.zeros((n, width)), np.zeros((n, width))
        taken = simple[group[order]]
        rows = order[taken]
        slot = (np.arange(total) - bounds[:-1][group[order]])[taken]  # the row's place among its employee's
        grid[group[rows], slot] = final[rows]
        if policy.rollup.method == "weighted":
            per_part = np.array([_weight(policy, name) for name in names])
            weights[group[rows], slot] = per_part[which[rows]]
        combined = _combined(policy, grid, weights, counts)
        few = simple & (counts < policy.rollup.min_periods)
        for k in np.flatnonzero(few).tolist():
            res.status[k] = "not_rated"
            res.reasons[k].append(Reason("rollup_too_few", count=int(counts[k]), needed=policy.rollup.min_periods))
        ok = simple & ~few
        raw[ok] = combined[ok]
        for k in np.flatnonzero(ok & np.isnan(combined)).tolist():
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
