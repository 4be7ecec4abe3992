"""results.subset.take_rows: some rows of a result as a result of their own, row for row the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kpi_rules.api import evaluate, load_data, load_policy
from kpi_rules.policy.calibration import load_calibration
from kpi_rules.results.subset import take_rows

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("period", "calibrated"), [("2024-Q2", False), ("2024-Q2", True), ("2024", False)])
def test_rows_are_the_same_rows(period: str, calibrated: bool) -> None:
    policy = load_policy(ROOT / "policies" / "ops-department.yaml")
    table = load_data(policy, ROOT / "examples" / "ops-2024.csv")
    cals = [load_calibration(ROOT / "examples" / "ops-2024-Q2.calibration.yaml")] if calibrated else []
    res = evaluate(policy, table, period, cals).result
    rows = np.flatnonzero(np.array([t == "content" for t in res.team.tolist()]))
    part = take_rows(res, rows, keep_team="content".__eq__)
    everyone = res.employees()
    assert part.employees() == [everyone[i] for i in rows.tolist()]
    assert part.summary()["rows"] == len(rows) and part.n == len(rows)
    assert [t["team"] for t in part.teams] == [t["team"] for t in res.teams if t["team"] == "content"]
    assert part.distribution.get("groups", []) == []  # the department's group is nobody's own
    if calibrated:
        assert part.calibration  # E012 and E014 of content were calibrated
        assert {i for i, row in enumerate(part.employees()) if row.get("calibration")} == set(part.calibration)
    whole = take_rows(res, np.arange(res.n), keep_team=lambda team: True)
    assert whole.employees() == everyone
