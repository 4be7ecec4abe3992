"""The engine: a compiled policy and typed rows in, results out. No I/O."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from kpi_rules.common.errors import KpiRulesError
from kpi_rules.common.perf import no_gc_pauses
from kpi_rules.common.periods import Period, PeriodError, parse_period, within
from kpi_rules.data.table import Table
from kpi_rules.engine.calibrate import calibrate_result
from kpi_rules.engine.period import evaluate_period
from kpi_rules.engine.rollup import rollup_result
from kpi_rules.policy.calibration import Calibration, CalibrationInvalid
from kpi_rules.policy.formula import ColumnEvaluator
from kpi_rules.policy.model import Policy
from kpi_rules.policy.problems import Problem
from kpi_rules.results.model import PeriodResult
from kpi_rules.results.reasons import Reason


class PeriodChoiceError(KpiRulesError):
    """The period asked for (or found in the data) cannot be evaluated.

    `str()` names the period as a library caller gives it; `told("--period")` as the command
    line does, `told("period=")` as the service's request does.
    """

    def __init__(self, message: str, advice: str = "") -> None:
        super().__init__(message + advice.format(period="the period argument"))
        self.message, self.advice = message, advice

    def told(self, how: str) -> str:
        """The message naming the period the way the caller's user gives it."""
        return self.message + self.advice.format(period=how)


@dataclass
class Evaluation:
    policy: Policy
    table: Table
    period: str | None  # None: the data names no period and none was asked for
    kind: str  # "period" | "rollup"
    result: PeriodResult
    other_periods: dict[str, int] = field(default_factory=dict)
    calibrations: tuple[Calibration, ...] = ()  # the calibration files applied (a roll-up's: its periods' too)

    @property
    def error_rows(self) -> int:
        """Input rows in scope that are errors (in a roll-up, rows of its periods)."""
        if self.kind == "rollup":
            return self.result.periods.count("error")
        return int((self.result.status == "error").sum())


def row_periods(table: Table) -> tuple[npt.NDArray[np.intp], list[Period | None]]:
    """Each row's period as an index into a list of distinct periods (None: absent or unreadable)."""
    texts = table.text["period"]
    lookup: Iterable[Any]
    if table.period_code is not None and len(table.period_code) == table.n:  # numbered while typing
        codes, lookup = table.period_code, table.period_texts
    elif table.n and (texts == texts[0]).all():  # one period for every row (or none at all)
        codes, lookup = np.zeros(table.n, dtype=np.intp), [texts[0]]
    else:
        listed = texts.tolist()
        number = {text: k for k, text in enumerate(dict.fromkeys(listed))}
        codes, lookup = np.fromiter(map(number.__getitem__, listed), dtype=np.intp, count=len(listed)), number
    distinct: list[Period | None] = []
    for text in lookup:
        try:
            distinct.append(parse_period(text) if text is not None else None)
        except PeriodError:
            distinct.append(None)
    return codes, distinct


def choose_period(policy: Policy, table: Table, asked: str | None) -> Period | None:
    """The period to evaluate: the one asked for, or the data's only one; None when the data
    names no period at all (its rows are then appraised together, as one unnamed period)."""
    if asked is not None:
        try:
            return parse_period(asked)
        except PeriodError as exc:
            raise PeriodChoiceError(str(exc)) from exc
    found = sorted({p for p in row_periods(table)[1] if p is not None})
    if len(found) == 1:
        return found[0]
    if not found:
        return None
    raise PeriodChoiceError(f"the data holds {len(found)} periods ({', '.join(map(str, found))})",
                            "; choose one with {period}")


def _mark_duplicates(table: Table, rows: npt.NDArray[np.intp], labels: Callable[[], list[str]],
                     period_codes: npt.NDArray[np.intp] | None = None) -> None:
    """Rows of the same employee in the same period are all errors; `labels()[k]` is rows[k]'s period,
    `period_codes[row]` a number for each row's period label (None: one label for all)."""
    first = table.id_first[rows]
    counts = np.bincount(first[first >= 0], minlength=table.n)
    again = np.flatnonzero((first >= 0) & (counts[np.maximum(first, 0)] > 1))  # ids seen more than once
    if not len(again):
        return  # the usual case, in whole-column operations
    if period_codes is not None:  # several periods (a roll-up): an id is again only within its period
        width = int(period_codes.max(initial=0)) + 1
        pair = first[again] * width + period_codes[rows[again]]
        if width <= 8:  # a few period labels (a year of quarters): counted in a table of rows x labels
            times = np.bincount(pair)[pair]
        else:
            _, where, counts = np.unique(pair, return_inverse=True, return_counts=True)
            times = counts[where.ravel()]
        again = again[times > 1]
        if not len(again):
            return
    ids, periods = table.text["employee_id"][rows[again]].tolist(), labels()
    keys = [(emp, periods[k]) for emp, k in zip(ids, again.tolist())]
    counts_by_key = Counter(keys)
    groups: dict[tuple[Any, str], list[int]] = {}
    for r, key in zip(rows[again].tolist(), keys):
        if counts_by_key[key] > 1:
            groups.setdefault(key, []).append(r)
    for (emp, per), group in groups.items():
        lines = ", ".join(str(table.where(r)) for r in group)
        for r in group:
            table.errors[r].append(Reason("duplicate_row", employee=emp, period=per, lines=lines))


def _no_rows(table: Table, picked: npt.NDArray[np.intp], target: Period, distinct: list[Period | None]) -> None:
    """A period the data has no rows for is a mistake (a mistyped period), not an empty review."""
    if table.n and not len(picked):
        held = ", ".join(sorted(str(p) for p in distinct))
        raise PeriodChoiceError(f"the data has no rows for {target} (it holds {held})", "; check {period}")


def evaluate(policy: Policy, table: Table, period: str | None = None,
             calibrations: Sequence[Calibration] = ()) -> Evaluation:
    """Evaluate one cycle period, or the roll-up period built from its cycle periods.

    `calibrations` (from `load_calibration`) change grades after forced distribution: each file
    applies to the period it names, the evaluated one or, in a roll-up, one of its periods.
    Raises TableMismatch when `table` was loaded for a policy that types data differently,
    PeriodChoiceError for a period that cannot be evaluated or that the data has no rows for, and
    CalibrationInvalid when a calibration does not fit the policy or the data."""
    table.check_typed_for(policy)
    with no_gc_pauses():
        return _evaluate(policy, table, period, _Calibrations(policy, calibrations))


class _Calibrations:
    """The calibration files by period, and the problems met applying them."""

    def __init__(self, policy: Policy, files: Sequence[Calibration]) -> None:
        self.policy, self.files = policy, tuple(files)
        self.used: set[int] = set()
        self.problems: list[Problem] = []

    def apply(self, result: PeriodResult) -> PeriodResult:
        mine = [k for k, c in enumerate(self.files) if c.period == result.period]
        if mine:
            self.used.update(mine)
            self.problems += calibrate_result(self.policy, result, [self.files[k] for k in mine])
        return result

    def done(self, evaluated: str) -> tuple[Calibration, ...]:
        """Raise on any problem (a file for a period not evaluated among them); the files applied."""
        for k, cal in enumerate(self.files):
            if k not in self.used:
                self.problems.append(cal.problem(
                    ("period",), "KR403", "calibration-period",
                    f"this calibration is for {cal.period}, but the evaluation is of {evaluated}",
                    "give --period the calibration's period, or the calibration file of this period"))
        if self.problems:
            raise CalibrationInvalid(self.problems)
        return self.files


def _evaluate(policy: Policy, table: Table, period: str | None, cals: _Calibrations) -> Evaluation:
    target = choose_period(policy, table, period)
    if target is None:
        cals.done("rows without a period")
        return _evaluate_unnamed(policy, table)
    if not within(target, policy.effective_from, policy.effective_to):
        until = policy.effective_to or "open end"
        raise PeriodChoiceError(f"{target} is outside the policy's effective dates "
                                f"({policy.effective_from} to {until})")
    # Duplicate reasons are added per evaluation: work on a copy, so the caller's table is unchanged.
    table = replace(table, errors=table.errors.copy())
    codes, distinct = row_periods(table)
    evaluator = ColumnEvaluator()

    def rows_of(wanted: list[int]) -> npt.NDArray[np.intp]:
        return np.flatnonzero(np.isin(codes, wanted))

    def labels_of(rows: npt.NDArray[np.intp]) -> Callable[[], list[str]]:
        names = [str(p) if p is not None else str(target) for p in distinct]
        return lambda: [names[c] for c in codes[rows].tolist()]

    def label_codes() -> npt.NDArray[np.intp]:
        """A number for each row's period label (unreadable and absent periods: the target's)."""
        names = [str(p) if p is not None else str(target) for p in distinct]
        number = {name: k for k, name in enumerate(dict.fromkeys(names))}
        return np.array([number[name] for name in names], dtype=np.intp)[codes]

    unplaced_codes = [k for k, p in enumerate(distinct) if p is None]
    if target.kind == policy.period:
        # Rows of another kind inside the period (a month in a quarterly policy) are errors already:
        # they are shown with it rather than only counted among other periods.
        picked = rows_of(unplaced_codes + [k for k, p in enumerate(distinct) if p == target or (
            p is not None and p.kind != policy.period and target.contains(p))])
        _no_rows(table, picked, target, distinct)
        _mark_duplicates(table, picked, labels_of(picked))
        result = evaluate_period(policy, table, picked, str(target), evaluator, cals.apply)
        kind = "period"
    elif policy.rollup is not None and target.kind == policy.rollup.period:
        # Rows of another kind inside the review (a month in a quarterly policy) are errors already;
        # they get a part of their own so that they appear in the results instead of vanishing.
        inside = [k for k, p in enumerate(distinct) if p is not None and target.contains(p)]
        picked = rows_of(unplaced_codes + inside)
        _no_rows(table, picked, target, distinct)
        _mark_duplicates(table, picked, labels_of(picked), label_codes())
        chronological = sorted(inside, key=lambda k: distinct[k])  # type: ignore[arg-type, return-value]
        part_rows = [rows_of([k]) for k in chronological]
        parts = [evaluate_period(policy, table, rows, str(distinct[k]), evaluator, cals.apply)
                 for k, rows in zip(chronological, part_rows)]
        unplaced = rows_of(unplaced_codes)
        if len(unplaced):
            part_rows.append(unplaced)
            parts.append(evaluate_period(policy, table, unplaced, str(target), evaluator))
        result = cals.apply(rollup_result(policy, str(target), parts, [table.id_first[rows] for rows in part_rows]))
        kind = "rollup"
    else:
        review = f" and a {policy.rollup.period} review" if policy.rollup else ""
        raise PeriodChoiceError(f"{target} is a {target.kind}; this policy appraises each {policy.period}{review}")
    outside = np.ones(table.n, dtype=bool)
    outside[picked] = False
    counted = np.bincount(codes[outside], minlength=len(distinct))
    others = {str(distinct[k]): int(c) for k, c in enumerate(counted) if c}
    return Evaluation(policy, table, str(target), kind, result, others, cals.done(str(target)))


def _evaluate_unnamed(policy: Policy, table: Table) -> Evaluation:
    """Data without any period: every row is appraised together, as one period without a name
    (so no effective-date check and no roll-up); the results say `period: null`."""
    table = replace(table, errors=table.errors.copy())
    rows = np.arange(table.n, dtype=np.intp)
    _mark_duplicates(table, rows, lambda: [""] * table.n)
    result = evaluate_period(policy, table, rows, None, ColumnEvaluator())
    return Evaluation(policy, table, None, "period", result, {})
