"""The results as CSV: one row per employee, indicator scores in `score_<id>` columns."""

from __future__ import annotations

import csv
import io
from typing import TextIO

from kpi_rules.common.perf import no_gc_pauses
from kpi_rules.engine import Evaluation
from kpi_rules.writers.csv_rows import csv_rows

CSV_FIELDS = ["employee_id", "name", "role", "team", "period", "status", "individual", "team_score", "bonus",
              "deduction", "coefficient_team", "final", "grade", "grade_before_distribution", "pay_coefficient",
              "veto", "bonuses", "deductions", "reasons"]
CHUNK_ROWS = 10_000


def write_csv(ev: Evaluation, out: TextIO) -> None:
    """One row per employee; indicator scores in `score_<id>` columns (see csvrows)."""
    res = ev.result
    indicator_ids = [ind.id for ind in ev.policy.indicators if res.indicators.get(ind.id) is not None
                     and res.indicators[ind.id].applies.any()]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS + [f"score_{i}" for i in indicator_ids])
    with no_gc_pauses():
        for start in range(0, res.n, CHUNK_ROWS):
            writer.writerows(csv_rows(res, start, start + CHUNK_ROWS, indicator_ids))


def to_csv(ev: Evaluation) -> str:
    buffer = io.StringIO()
    write_csv(ev, buffer)
    return buffer.getvalue()
