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

from .rounding import round_decimal

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

    def row(self, i: int) -> dict[str, Any]:
        flags = []
        if self.fail[i]:
            flags.append(FLAG_WORDS.get(int(self.fail[i]), "missing"))
        if self.treatment[i]:
            flags.append(str(self.treatment[i]))
        return {
            "actual": shown(self.actual[i]), "target": shown(self.target[i]),
            "achievement": shown(self.achievement[i]), "score": shown(self.score[i]),
            "weight": shown(self.effective_weight[i], 6), "weighted": shown(self.weighted[i]),
            "flags": flags,
        }


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
    reasons: list[list[str]]
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
    bonuses: list[list[str]] = field(default_factory=list)
    deductions: list[list[str]] = field(default_factory=list)
    veto: npt.NDArray[Any] = field(default_factory=lambda: np.zeros(0, dtype=object))
    suggestions: list[list[str]] = field(default_factory=list)
    teams: list[dict[str, Any]] = field(default_factory=list)
    distribution: dict[str, Any] = field(default_factory=dict)
    periods: list[dict[str, Any]] = field(default_factory=list)  # roll-up: per-employee period breakdown

    @property
    def n(self) -> int:
        return len(self.lines)

    def _num(self, values: FloatArray, i: int) -> float | int | None:
        return shown(values[i], self.decimals) if len(values) else None

    def employee(self, i: int) -> dict[str, Any]:
        rated = self.status[i] == "rated"
        out: dict[str, Any] = {
            "employee_id": self.employee_id[i], "name": self.name[i], "role": self.role[i],
            "team": self.team[i], "period": self.row_period[i] or self.period, "status": self.status[i],
            "line": self.lines[i],
            "indicators": {k: c.row(i) for k, c in self.indicators.items() if c.applies[i]} if rated else {},
            "individual": self._num(self.individual, i) if rated else None,
            "team_score": self._num(self.team_score, i) if rated else None,
            "bonus": self._num(self.bonus, i) if rated else None,
            "deduction": self._num(self.deduction, i) if rated else None,
            "coefficient_team": self._num(self.coefficient_team, i) if rated else None,
            "final": self._num(self.final, i) if rated else None,
            "grade": self.grade[i] if rated else None,
            "grade_before_distribution": self.grade_before_distribution[i] if rated else None,
            "pay_coefficient": self._num(self.pay_coefficient, i) if rated else None,
            "bonuses": self.bonuses[i] if rated else [],
            "deductions": self.deductions[i] if rated else [],
            "veto": self.veto[i] if rated else None,
            "reasons": self.reasons[i],
            "suggestions": self.suggestions[i] if rated and self.suggestions else [],
        }
        if self.periods:
            out["periods"] = self.periods[i]
        return out

    def summary(self) -> dict[str, Any]:
        counts = {s: int(np.sum(self.status == s)) for s in ("rated", "not_rated", "error")}
        grades: dict[str, int] = {}
        for i in np.flatnonzero(self.status == "rated"):
            grades[self.grade[i]] = grades.get(self.grade[i], 0) + 1
        return {"rows": self.n, **counts, "grades": grades}
