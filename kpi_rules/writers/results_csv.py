"""The results as CSV: one row per employee, indicator scores in `score_<id>` columns."""

from __future__ import annotations

import csv
import io
from typing import Any, TextIO

from kpi_rules.common.perf import no_gc_pauses
from kpi_rules.engine import Evaluation
from kpi_rules.results.model import PeriodResult
from kpi_rules.writers.csv_rows import csv_rows, safe_text

CSV_FIELDS = ["employee_id", "name", "role", "team", "period", "status", "individual", "team_score", "bonus",
              "deduction", "coefficient_team", "final", "grade", "grade_before_distribution", "pay_coefficient",
              "veto", "bonuses", "deductions", "reasons"]
# Only when a calibration file was applied, after every other column: uncalibrated files are unchanged.
CALIBRATION_FIELDS = ["grade_before_calibration", "calibration_by", "calibration_approved_by", "calibration_date",
                      "calibration_reason", "calibration_note"]
CHUNK_ROWS = 10_000


def write_csv(ev: Evaluation, out: TextIO) -> None:
    """One row per employee; indicator scores in `score_<id>` columns (see csvrows); a roll-up
    (the annual review) also gives each period's final and grade: `final_2024-Q1`, `grade_2024-Q1`."""
    res = ev.result
    indicator_ids = [ind.id for ind in ev.policy.indicators if res.indicators.get(ind.id) is not None
                     and res.indicators[ind.id].applies.any()]
    periods = sorted(label for label in res.periods.labels() if " " not in label)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS + [f"score_{i}" for i in indicator_ids]
                    + [f"{what}_{p}" for p in periods for what in ("final", "grade")]
                    + (CALIBRATION_FIELDS if res.calibrated else []))
    with no_gc_pauses():
        for start in range(0, res.n, CHUNK_ROWS):
            rows = csv_rows(res, start, start + CHUNK_ROWS, indicator_ids)
            if periods:
                rows = [row + _period_cells(entry, periods)
                        for row, entry in zip(rows, res.periods.rows(start, start + CHUNK_ROWS))]
            if res.calibrated:
                rows = [row + _calibration_cells(res, start + k) for k, row in enumerate(rows)]
            writer.writerows(rows)


def _calibration_cells(res: PeriodResult, i: int) -> tuple[Any, ...]:
    """A rated row's grade before calibration, and its adjustment's who, when and why (empty if none)."""
    before = res.grade_before_calibration[i] if res.status[i] == "rated" else None
    record = res.calibration.get(i, {})
    texts = [record.get(k) for k in ("by", "approved_by", "date", "reason", "note")]
    return tuple("" if v is None else safe_text(str(v)) for v in [before, *texts])


def _period_cells(entry: dict[str, Any], periods: list[str]) -> tuple[Any, ...]:
    """An employee's final and grade in each period of the roll-up (empty where not rated)."""
    cells: list[Any] = []
    for period in periods:
        part = entry.get(period) or {}
        cells += ["" if part.get("final") is None else part["final"],
                  "" if part.get("grade") is None else part["grade"]]
    return tuple(cells)


def to_csv(ev: Evaluation) -> str:
    buffer = io.StringIO()
    write_csv(ev, buffer)
    return buffer.getvalue()
