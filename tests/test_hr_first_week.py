"""Held-out style checks from trying kpi-rules as an HR analyst would (issue 12): a Sales &
Customer Success policy whose roles read different columns, written from the docs alone."""

from __future__ import annotations

from pathlib import Path

from engine_helpers import by_id, run

TWO_ROLES = """\
inputs:
  bookings: {type: number, min: 0}
  churn_rate: {type: number, min: 0, max: 1}
indicators:
  bookings: {formula: bookings}
  churn: {formula: churn_rate, direction: lower}
scales:
  graded: {type: linear, points: {floor: 60, target: 100, stretch: 120}}
roles:
  ae: {indicators: {bookings: {weight: 100%, floor: 50, target: 100, stretch: 150, scale: graded}}}
  csm: {indicators: {churn: {weight: 100%, floor: 0.08, target: 0.04, stretch: 0.01, scale: graded}}}
"""


def test_a_required_column_a_role_does_not_score_says_required_false(tmp_path: Path) -> None:
    rows = [{"employee_id": "E1", "role": "ae", "period": "2024-Q1", "bookings": 100, "churn_rate": None},
            {"employee_id": "E2", "role": "csm", "period": "2024-Q1", "bookings": None, "churn_rate": 0},
            {"employee_id": "E3", "role": "csm", "period": "2024-Q1", "bookings": 5, "churn_rate": None}]
    people = by_id(run(tmp_path, TWO_ROLES, rows))
    assert people["E1"]["reasons"] == [
        "column `churn_rate` is empty but required (line 2); the role `ae` does not score it: if its rows leave it "
        "empty, add `required: false` to `churn_rate` under inputs"]
    assert people["E2"]["reasons"][0].startswith("column `bookings` is empty but required (line 3); the role `csm`")
    # a column the row's role does score: the plain message
    assert people["E3"]["reasons"] == ["column `churn_rate` is empty but required (line 4)"]
    assert people["E3"]["reasons"][0].say("zh-CN") == "第4行「churn_rate」列为空,但该列必填"
    assert people["E1"]["reasons"][0].say("zh-CN") == (
        "第2行「churn_rate」列为空,但该列必填;岗位「ae」的指标不使用该列:若该岗位不填此列,请在 inputs 中为"
        "「churn_rate」加上 `required: false`")
    fixed = TWO_ROLES.replace("bookings: {type", "bookings: {required: false, type").replace(
        "churn_rate: {type", "churn_rate: {required: false, type")
    people = by_id(run(tmp_path, fixed, rows))
    assert (people["E1"]["status"], people["E1"]["final"]) == ("rated", 100)
    assert (people["E2"]["status"], people["E2"]["final"]) == ("rated", 120)  # 0 churn: the stretch points


def test_an_optional_column_named_differently_is_not_silently_empty(tmp_path: Path) -> None:
    import pytest
    from engine_helpers import build_policy, write_rows

    from kpi_rules.data.raw import DataFileError
    from kpi_rules.data.readers import read_table
    from kpi_rules.data.table import type_table

    policy = build_policy(tmp_path, TWO_ROLES.replace("churn_rate: {type", "churn_rate: {required: false, type"))
    rows = [{"employee_id": "E1", "role": "csm", "period": "2024-Q1", "bookings": 1, "Churn Rate": 0.02}]
    with pytest.raises(DataFileError) as caught:
        type_table(policy, read_table(write_rows(tmp_path, rows)))
    assert str(caught.value) == (f"{tmp_path / 'data.csv'}: the column `churn_rate` is not in the file, but "
                                 "`Churn Rate` is: if it is the same, pass --column churn_rate=Churn Rate")
    rows = [{"employee_id": "E1", "role": "csm", "period": "2024-Q1", "bookings": 1, "churn_pct": 0.02}]
    table = type_table(policy, read_table(write_rows(tmp_path, rows)))
    assert table.notes == ["the column `churn_rate` is not in the file, so it is empty in every row; if `churn_pct` "
                           "is the same, pass --column churn_rate=churn_pct"]
