"""POLICY_FORMAT section 4, reproduced exactly: the worked example.

Operations specialist, one quarter, linear scale 60/100/120 at
floor/target/stretch; +3 bonus, -2 deduction, team coefficient 1.05
(team score 103) -> final 106.85, grade A.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import json_bytes, one, run_files

from kpi_rules.policy.validate import validate_file
from kpi_rules.writers.results_csv import to_csv
from kpi_rules.writers.results_json import to_json

WORKED = Path(__file__).resolve().parent / "examples" / "worked"


@pytest.fixture(scope="module")
def evaluation() -> Any:
    return run_files(WORKED / "policy.yaml", WORKED / "data.csv")


@pytest.fixture(scope="module")
def ann(evaluation: Any) -> dict[str, Any]:
    return one(evaluation)


def test_the_policy_validates_cleanly() -> None:
    result = validate_file(WORKED / "policy.yaml")
    assert [p.message for p in result.errors] == []


def test_the_period_is_taken_from_the_data(evaluation: Any) -> None:
    assert evaluation.period == "2024-Q2"
    assert evaluation.kind == "period"
    assert evaluation.other_periods == {}


# indicator: (weight, target, actual, achievement, score, weighted)
TABLE = {
    "visits": (0.15, 100, 110, 1.1, 110, 16.5),
    "conv": (0.20, 2.5, 2.3, 0.92, 84, 16.8),
    "revenue": (0.25, 500, 620, 1.24, 120, 30),
    "cac": (0.15, 50, 52, 0.9615384615, 92, 13.8),  # 50 / 52, shown to 10 decimals
    "complaint": (0.10, 95, 96.5, 1.0157894737, 110, 11),  # 96.5 / 95
    "teamwork": (0.15, None, 84.4, None, 84.4, 12.66),
}


@pytest.mark.parametrize("indicator", list(TABLE))
def test_indicator_row(ann: dict[str, Any], indicator: str) -> None:
    weight, target, actual, achievement, score, weighted = TABLE[indicator]
    assert ann["indicators"][indicator] == {
        "actual": actual, "target": target, "achievement": achievement, "score": score,
        "weight": weight, "weighted": weighted, "flags": [],
    }


def test_indicator_scores_exactly(ann: dict[str, Any]) -> None:
    scores = {k: v["score"] for k, v in ann["indicators"].items()}
    assert scores == {"visits": 110, "conv": 84, "revenue": 120, "cac": 92, "complaint": 110, "teamwork": 84.4}


def test_internal_scores_are_the_exact_values(evaluation: Any) -> None:
    # Not only as shown: the full-precision columns agree to 1e-9.
    cols = evaluation.result.indicators
    for ind, expected in {"visits": 110, "conv": 84, "revenue": 120, "cac": 92, "complaint": 110,
                          "teamwork": 84.4}.items():
        assert cols[ind].score[0] == pytest.approx(expected, abs=1e-9)
    assert evaluation.result.individual[0] == pytest.approx(100.76, abs=1e-9)


def test_totals(ann: dict[str, Any]) -> None:
    assert ann["status"] == "rated"
    assert ann["individual"] == 100.76
    assert ann["bonus"] == 3
    assert ann["deduction"] == 2
    assert ann["team_score"] == 103
    assert ann["coefficient_team"] == 1.05
    assert ann["final"] == 106.85
    assert ann["grade"] == "A"
    assert ann["grade_before_distribution"] == "A"
    assert ann["bonuses"] == ["cross_dept"]
    assert ann["deductions"] == ["late_reports"]
    assert ann["veto"] is None
    assert ann["reasons"] == []


def test_final_is_the_rounded_product(evaluation: Any) -> None:
    # (100.76 + 3 - 2) x 1.05 = 106.848 -> 106.85, rounded once at the end
    assert evaluation.result.final[0] == 106.85


def test_section_3_fields(ann: dict[str, Any]) -> None:
    assert {"employee_id", "name", "role", "team", "period", "status", "indicators", "individual", "team_score",
            "bonus", "deduction", "coefficient_team", "final", "grade", "grade_before_distribution",
            "pay_coefficient", "bonuses", "deductions", "veto", "reasons"} <= set(ann)
    assert (ann["employee_id"], ann["name"], ann["role"], ann["team"], ann["period"]) == (
        "E001", "Ann", "spec", "growth", "2024-Q2")


def test_team_section(evaluation: Any) -> None:
    (team,) = evaluation.result.teams
    assert team["team"] == "growth"
    assert team["members"] == 1
    assert team["team_score"] == 103
    assert team["coefficient"] == 1.05
    assert team["indicators"]["team_revenue"]["actual"] == 620
    assert team["indicators"]["team_revenue"]["score"] == 103


def test_json_output(evaluation: Any) -> None:
    data = json.loads(to_json(evaluation))
    assert data["period"] == "2024-Q2"
    assert data["policy"]["id"] == "worked"
    (employee,) = data["employees"]
    assert employee["final"] == 106.85
    assert employee["grade"] == "A"
    assert data["summary"] == {"rows": 1, "rated": 1, "not_rated": 0, "error": 0, "grades": {"A": 1}}


def test_json_is_deterministic(evaluation: Any) -> None:
    again = run_files(WORKED / "policy.yaml", WORKED / "data.csv")
    assert json_bytes(evaluation) == json_bytes(again)


def test_csv_output(evaluation: Any) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(evaluation))))
    assert len(rows) == 1
    assert rows[0]["final"] == "106.85"
    assert rows[0]["grade"] == "A"
    assert rows[0]["individual"] == "100.76"
    assert rows[0]["score_conv"] == "84"
    assert rows[0]["score_teamwork"] == "84.4"
