"""Results of an evaluation, column by column, and their JSON form.

The engine fills whole columns; `employee(i)` and `to_dict()` build the
per-person view of POLICY_FORMAT section 3 only when asked, rounding
displayed intermediate values (computation keeps full precision).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from kpi_rules.results.breakdown import PeriodBreakdown
from kpi_rules.results.notes import FiredItems, RowNotes

# Their home was here: importers of these from model keep working.
from kpi_rules.results.shown import SHOWN_DECIMALS as SHOWN_DECIMALS
from kpi_rules.results.shown import rounded_for_display as rounded_for_display
from kpi_rules.results.shown import shown as shown
from kpi_rules.results.shown import shown_column as shown_column

FloatArray = npt.NDArray[np.float64]
# A row's status: rated, not_rated or error. Fixed-width text, so comparing a column is one C loop.
STATUS = "<U9"
# How a missing indicator was treated, as a code per row: TREATMENTS[code].
TREATMENTS = ("", "zero", "excluded", "error")
SCORED, ZERO, EXCLUDED, ERROR = range(4)

FLAG_WORDS = {1: "missing_input", 2: "div_zero", 3: "overflow", 4: "type_error", 5: "domain_error",
              6: "no_achievement", 7: "no_cap"}
CAPPED = "achievement_capped"  # actual 0 with direction lower: the best result, achievement = the cap


def row_where(row: dict[str, Any]) -> int | str:
    """Where a result row (or a roll-up's period part) came from, for people: its line, or
    `q2.csv:5` when several data files were read as one."""
    return f"{row['file']}:{row['line']}" if row.get("file") else int(row["line"])


def flag_words(fail: int, treatment: int, capped: bool) -> list[str]:
    """An indicator's flags in the results: why it has no value, how that was treated, or that its
    achievement is the scale's cap because 0 was the best possible result."""
    words = [FLAG_WORDS.get(fail, "missing")] if fail else []
    if treatment:
        words.append(TREATMENTS[treatment])
    if capped:
        words.append(CAPPED)
    return words


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
    treatment: npt.NDArray[np.int8]  # TREATMENTS index: scored, zero, excluded, error
    step: npt.NDArray[np.int8]
    capped: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def is_capped(self, i: int) -> bool:
        return bool(len(self.capped) and self.capped[i])

    def rows(self, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        """The section-3 view of this indicator for rows start..stop-1 ({} where it does not apply)."""
        part = slice(start, len(self.applies) if stop is None else stop)
        columns = [shown_column(v[part]) for v in (self.actual, self.target, self.achievement, self.score)]
        columns += [shown_column(self.effective_weight[part], 6), shown_column(self.weighted[part])]
        fail, treatment, applies = self.fail[part], self.treatment[part], self.applies[part]
        capped = self.capped[part] if len(self.capped) else np.zeros(len(applies), dtype=bool)
        flags: list[list[str]] = [[] for _ in range(len(applies))]
        for i in np.flatnonzero(fail.astype(bool) | (treatment != SCORED) | capped):
            flags[i] = flag_words(int(fail[i]), int(treatment[i]), bool(capped[i]))
        keys = ("achievement", "actual", "flags", "score", "target", "weight", "weighted")
        ordered: list[list[Any]] = [columns[2], columns[0], flags, columns[3], columns[1], columns[4], columns[5]]
        return [dict(zip(keys, values)) if applies else {}
                for applies, *values in zip(applies.tolist(), *ordered)]

    def row(self, i: int) -> dict[str, Any]:
        return self.rows()[i]


@dataclass
class PeriodResult:
    """Everything computed for one period; row i is the i-th row of the period's data."""

    period: str | None
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
    periods: PeriodBreakdown = field(default_factory=PeriodBreakdown)  # roll-up: per-employee period breakdown
    # Calibration (a step after forced distribution): empty unless a calibration file was applied, so
    # uncalibrated results keep their exact shape. Row -> its `calibration` record.
    grade_before_calibration: npt.NDArray[Any] = field(default_factory=lambda: np.zeros(0, dtype=object))
    calibration: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Several data files read as one: each row's file (its `line` is within that file); empty for one file.
    files: list[str] = field(default_factory=list)

    @property
    def calibrated(self) -> bool:
        """A calibration file was applied to this result (perhaps changing nobody)."""
        return len(self.grade_before_calibration) > 0

    def veto_overridden(self, i: int) -> bool:
        """Row i's veto was set aside by a calibration that says `override_veto: true`."""
        return bool(self.calibration.get(i, {}).get("override_veto"))

    @property
    def n(self) -> int:
        return len(self.lines)

    def employee(self, i: int) -> dict[str, Any]:
        return self.employees()[i]

    def employees(self) -> list[dict[str, Any]]:
        """Every row in the section-3 shape (built once, then cached)."""
        cached: list[dict[str, Any]] | None = getattr(self, "_employees", None)
        if cached is None:
            cached = self.employee_rows(0, self.n)
            self._employees = cached
        return cached

    def employee_rows(self, start: int, stop: int) -> list[dict[str, Any]]:
        """Rows start..stop-1 in the section-3 shape, built column by column.

        Keys are inserted in sorted order, so a JSON dump without `sort_keys` is already sorted."""
        stop = min(stop, self.n)
        n, d, part = stop - start, self.decimals, slice(start, stop)
        rated = (self.status[part] == "rated").tolist()
        unrated = [i for i, r in enumerate(rated) if not r]

        def only_rated(values: list[Any], empty: Any = None) -> list[Any]:
            for i in unrated:
                values[i] = empty() if callable(empty) else empty
            return values

        def numbers(name: str) -> list[Any]:
            values = getattr(self, name)
            return only_rated(shown_column(values[part], d) if len(values) else [None] * n)

        def texts(values: npt.NDArray[Any]) -> list[Any]:
            return values[part].tolist() if len(values) else [None] * n

        indicators: list[dict[str, Any]] = [{} for _ in range(n)]
        for key in sorted(self.indicators):
            for i, row in enumerate(self.indicators[key].rows(start, stop)):
                if row and rated[i]:
                    indicators[i][key] = row
        columns: dict[str, list[Any]] = {
            "bonus": numbers("bonus"), "bonuses": only_rated(self.bonuses.lists(start, stop), list)}
        if self.calibrated:
            # copies: the rows are the caller's (evaluation_to_dict), the records the result's
            columns["calibration"] = [dict(self.calibration[i]) if i in self.calibration else None
                                      for i in range(start, stop)]
        columns.update({
            "coefficient_team": numbers("coefficient_team"), "deduction": numbers("deduction"),
            "deductions": only_rated(self.deductions.lists(start, stop), list),
            "employee_id": texts(self.employee_id)})
        if self.files:
            columns["file"] = self.files[part]
        columns.update({"final": numbers("final"), "grade": only_rated(texts(self.grade))})
        if self.calibrated:
            columns["grade_before_calibration"] = only_rated(texts(self.grade_before_calibration))
        columns.update({
            "grade_before_distribution": only_rated(texts(self.grade_before_distribution)),
            "indicators": indicators, "individual": numbers("individual"), "line": self.lines[part],
            "name": texts(self.name), "pay_coefficient": numbers("pay_coefficient"),
            "period": [p or self.period for p in texts(self.row_period)],
        })
        if self.periods:  # copies: the rows are the caller's
            columns["periods"] = self.periods.rows(start, stop, copies=True)
        columns.update({
            "reasons": self.reasons.lists(start, stop), "role": texts(self.role),
            "status": self.status[part].tolist(),
            "suggestions": only_rated(self.suggestions.lists(start, stop), list), "team": texts(self.team),
            "team_score": numbers("team_score"), "veto": only_rated(texts(self.veto)),
        })
        keys = list(columns)
        return [dict(zip(keys, values)) for values in zip(*columns.values())]

    def summary(self) -> dict[str, Any]:
        counts = {s: int(np.sum(self.status == s)) for s in ("rated", "not_rated", "error")}
        grades = dict(Counter(self.grade[self.status == "rated"].tolist()))  # in order of first appearance
        return {"rows": self.n, **counts, "grades": grades}
