"""The engine: a compiled policy and typed rows in, results out. No I/O."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..data import Table
from ..formula import ColumnEvaluator
from ..model import Policy
from ..perf import no_gc_pauses
from ..periods import Period, PeriodError, parse_period, within
from ..problems import KpiRulesError
from ..results import PeriodResult
from .period import evaluate_period
from .rollup import rollup_result


class PeriodChoiceError(KpiRulesError):
    """The period asked for (or found in the data) cannot be evaluated."""


@dataclass
class Evaluation:
    policy: Policy
    table: Table
    period: str
    kind: str  # "period" | "rollup"
    result: PeriodResult
    other_periods: dict[str, int] = field(default_factory=dict)

    @property
    def error_rows(self) -> int:
        """Input rows in scope that are errors (in a roll-up, rows of its periods)."""
        if self.kind == "rollup":
            return sum(1 for periods in self.result.periods for p in periods.values() if p["status"] == "error")
        return int((self.result.status == "error").sum())


def _row_periods(table: Table) -> list[Period | None]:
    out: list[Period | None] = []
    for text in table.text["period"]:
        try:
            out.append(parse_period(text) if text is not None else None)
        except PeriodError:
            out.append(None)
    return out


def choose_period(policy: Policy, table: Table, asked: str | None) -> Period:
    if asked is not None:
        try:
            return parse_period(asked)
        except PeriodError as exc:
            raise PeriodChoiceError(str(exc)) from exc
    found = sorted({p for p in _row_periods(table) if p is not None})
    if len(found) == 1:
        return found[0]
    if not found:
        raise PeriodChoiceError("the data has no `period` column: choose the period with --period, e.g. 2024-Q2")
    raise PeriodChoiceError(f"the data holds {len(found)} periods ({', '.join(map(str, found))}); "
                            "choose one with --period")


def _mark_duplicates(table: Table, rows: list[int], periods: list[Period | None], default: Period) -> None:
    ids = table.text["employee_id"]
    labels = {p: str(p) for p in set(periods)}
    fallback = str(default)
    keys = [(ids[r], labels[periods[r]] if periods[r] is not None else fallback) for r in rows]
    counts = Counter(keys)
    if all(c == 1 for c in counts.values()):
        return
    groups: dict[tuple[Any, str], list[int]] = {}
    for r, key in zip(rows, keys):
        if counts[key] > 1 and key[0] is not None:
            groups.setdefault(key, []).append(r)
    for (emp, per), group in groups.items():
        lines = ", ".join(str(table.lines[r]) for r in group)
        for r in group:
            table.errors[r].append(f"duplicate row for employee {emp} in {per} (lines {lines})")


def evaluate(policy: Policy, table: Table, period: str | None = None) -> Evaluation:
    """Evaluate one cycle period, or the roll-up period built from its cycle periods."""
    with no_gc_pauses():
        return _evaluate(policy, table, period)


def _evaluate(policy: Policy, table: Table, period: str | None) -> Evaluation:
    target = choose_period(policy, table, period)
    if not within(target, policy.effective_from, policy.effective_to):
        until = policy.effective_to or "open end"
        raise PeriodChoiceError(f"{target} is outside the policy's effective dates "
                                f"({policy.effective_from} to {until})")
    # Duplicate reasons are added per evaluation: work on a copy, so the caller's table is unchanged.
    table = replace(table, errors=[list(e) for e in table.errors])
    periods = _row_periods(table)
    evaluator = ColumnEvaluator()
    if target.kind == policy.period:
        picked = [r for r in range(table.n) if periods[r] in (None, target)]
        _mark_duplicates(table, picked, periods, target)
        result = evaluate_period(policy, table, np.array(picked, dtype=np.intp), str(target), evaluator)
        kind = "period"
        inside = set(picked)
    elif policy.rollup is not None and target.kind == policy.rollup.period:
        # Rows of another kind inside the review (a month in a quarterly policy) are errors already;
        # they get a part of their own so that they appear in the results instead of vanishing.
        cycle = sorted({p for p in periods if p is not None and target.contains(p)})
        picked = [r for r in range(table.n) if periods[r] is None or target.contains(periods[r])]
        _mark_duplicates(table, picked, periods, target)
        unplaced = [r for r in picked if periods[r] is None]
        parts = []
        for p in cycle:
            rows = [r for r in picked if periods[r] == p]
            parts.append(evaluate_period(policy, table, np.array(rows, dtype=np.intp), str(p), evaluator))
        if unplaced:
            parts.append(evaluate_period(policy, table, np.array(unplaced, dtype=np.intp), str(target), evaluator))
        result = rollup_result(policy, str(target), parts)
        kind = "rollup"
        inside = set(picked)
    else:
        review = f" and a {policy.rollup.period} review" if policy.rollup else ""
        raise PeriodChoiceError(f"{target} is a {target.kind}; this policy appraises each {policy.period}{review}")
    others: dict[str, int] = {}
    for r in range(table.n):
        if r not in inside:
            others[str(periods[r])] = others.get(str(periods[r]), 0) + 1
    return Evaluation(policy, table, str(target), kind, result, others)
