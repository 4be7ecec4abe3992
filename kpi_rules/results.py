"""Results of an evaluation, column by column, and their JSON form.

The engine fills whole columns; `employee(i)` and `to_dict()` build the
per-person view of POLICY_FORMAT section 3 only when asked, rounding
displayed intermediate values (computation keeps full precision).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .notes import FiredItems, RowNotes
from .rounding import round_array, round_decimal

FloatArray = npt.NDArray[np.float64]
SHOWN_DECIMALS = 4  # intermediate values (actuals, achievements, scores) in the output

FLAG_WORDS = {1: "missing_input", 2: "div_zero", 3: "overflow", 4: "type_error", 5: "domain_error",
              6: "no_achievement"}


def shown(value: float, decimals: int = SHOWN_DECIMALS) -> float | int | None:
    """A float for people: NaN -> null, 110.00000000000001 -> 110, no -0."""
    if value != value:
        return None
    rounded = round_decimal(float(value), decimals)
    return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded


def shown_column(values: FloatArray, decimals: int = SHOWN_DECIMALS) -> list[float | int | None]:
    """`shown` for a whole column, at numpy speed."""
    rounded = round_array(np.asarray(values, dtype=np.float64), decimals)
    out = rounded.astype(object)
    whole = np.isfinite(rounded) & (rounded == np.floor(rounded)) & (np.abs(rounded) < 2**53)
    out[whole] = rounded[whole].astype(np.int64).astype(object)
    out[np.isnan(rounded)] = None
    return out.tolist()  # type: ignore[no-any-return]


@dataclass
class IndicatorColumns:
    """One indicator over every row: how each row's role uses it and what it scored."""

    id: str
    label: str
    group: str | None
    unit: str
    applies: npt.NDArray[np.bool_]
    actual: FloatArray
    target: FloatArray
    floor: FloatArray
    stretch: FloatArray
    achievement: FloatArray
    score: FloatArray
    weight: FloatArray  # the plan's weight (fraction)
    effective_weight: FloatArray  # after `exclude` rescaling
    weighted: FloatArray
    fail: npt.NDArray[np.int8]
    treatment: npt.NDArray[Any]  # None | "zero" | "excluded" | "error"
    step: npt.NDArray[np.int8]

    def rows(self) -> list[dict[str, Any]]:
        """The section-3 view of this indicator for every row ({} where it does not apply)."""
        columns = [shown_column(v) for v in (self.actual, self.target, self.achievement, self.score)]
        columns += [shown_column(self.effective_weight, 6), shown_column(self.weighted)]
        no_flags: list[str] = []
        flags: list[list[str]] = [no_flags] * len(self.applies)
        for i in np.flatnonzero(self.fail.astype(bool) | ~np.equal(self.treatment, None)):
            words = [FLAG_WORDS.get(int(self.fail[i]), "missing")] if self.fail[i] else []
            flags[i] = words + ([str(self.treatment[i])] if self.treatment[i] else [])
        keys = ("actual", "target", "achievement", "score", "weight", "weighted", "flags")
        return [dict(zip(keys, values)) if applies else {}
                for applies, *values in zip(self.applies.tolist(), *columns, flags)]

    def row(self, i: int) -> dict[str, Any]:
        return self.rows()[i]


@dataclass
class PeriodResult:
    """Everything computed for one period; row i is the i-th row of the period's data."""

    period: str
    lines: list[int]
    employee_id: npt.NDArray[Any]
    name: npt.NDArray[Any]
    role: npt.NDArray[Any]
    team: npt.NDArray[Any]
    row_period: npt.NDArray[Any]
    status: npt.NDArray[Any]
    reasons: RowNotes
    decimals: int = 2
    indicators: dict[str, IndicatorColumns] = field(default_factory=dict)
    individual: FloatArray = field(default_factory=lambda: np.zeros(0))
    team_score: FloatArray = field(default_factory=lambda: np.zeros(0))
    bonus: FloatArray = field(default_factory=lambda: np.zeros(0))
    deduction: FloatArray = field(default_factory=lambda: np.zeros(0))
    coefficient_team: FloatArray = field(default_factory=lambda: np.zeros(0))
    final: FloatArray = field(default_factory=lambda: np.zeros(0))
    grade: npt.NDArray[Any] = field(default_factory=lambda: np.zeros(0, dtype=object))
    grade_before_distribution: npt.NDArray[Any] = field(default_factory=lambda: np.zeros(0, dtype=object))
    pay_coefficient: FloatArray = field(default_factory=lambda: np.zeros(0))
    bonuses: FiredItems = field(default_factory=lambda: FiredItems(0))
    deductions: FiredItems = field(default_factory=lambda: FiredItems(0))
    veto: npt.NDArray[Any] = field(default_factory=lambda: np.zeros(0, dtype=object))
    suggestions: FiredItems = field(default_factory=lambda: FiredItems(0))
    teams: list[dict[str, Any]] = field(default_factory=list)
    distribution: dict[str, Any] = field(default_factory=dict)
    periods: list[dict[str, Any]] = field(default_factory=list)  # roll-up: per-employee period breakdown

    @property
    def n(self) -> int:
        return len(self.lines)

    def employee(self, i: int) -> dict[str, Any]:
        return self.employees()[i]

    def employees(self) -> list[dict[str, Any]]:
        """Every row in the section-3 shape, built column by column (fast for 1M rows)."""
        cached: list[dict[str, Any]] | None = getattr(self, "_employees", None)
        if cached is not None:
            return cached
        n, d = self.n, self.decimals
        status = self.status.tolist()
        nums = {name: shown_column(getattr(self, name), d) if len(getattr(self, name)) else [None] * n
                for name in ("individual", "team_score", "bonus", "deduction", "coefficient_team", "final",
                             "pay_coefficient")}
        indicators = {k: c.rows() for k, c in self.indicators.items()}
        ids, names, roles, teams = (a.tolist() for a in (self.employee_id, self.name, self.role, self.team))
        periods, grades, before, vetoes = (a.tolist() for a in (
            self.row_period, self.grade, self.grade_before_distribution, self.veto))
        out = []
        for i in range(n):
            rated = status[i] == "rated"
            row: dict[str, Any] = {
                "employee_id": ids[i], "name": names[i], "role": roles[i], "team": teams[i],
                "period": periods[i] or self.period, "status": status[i], "line": self.lines[i],
                "indicators": {k: rows[i] for k, rows in indicators.items() if rows[i]} if rated else {},
                "grade": grades[i] if rated else None,
                "grade_before_distribution": before[i] if rated else None,
                "bonuses": list(self.bonuses.get(i)) if rated else [],
                "deductions": list(self.deductions.get(i)) if rated else [],
                "veto": vetoes[i] if rated else None, "reasons": list(self.reasons.get(i)),
                "suggestions": list(self.suggestions.get(i)) if rated and self.suggestions else [],
            }
            for name, values in nums.items():
                row[name] = values[i] if rated else None
            if self.periods:
                row["periods"] = self.periods[i]
            out.append(row)
        self._employees = out
        return out

    def summary(self) -> dict[str, Any]:
        counts = {s: int(np.sum(self.status == s)) for s in ("rated", "not_rated", "error")}
        grades: dict[str, int] = {}
        for i in np.flatnonzero(self.status == "rated"):
            grades[self.grade[i]] = grades.get(self.grade[i], 0) + 1
        return {"rows": self.n, **counts, "grades": grades}
