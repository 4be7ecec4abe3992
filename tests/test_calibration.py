"""Calibration files: read and checked like policies, applied by the engine after forced distribution."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest

from kpi_rules import CalibrationInvalid, evaluate, evaluation_to_dict, load_calibration, load_data, load_policy
from kpi_rules.policy.calibration import validate_document
from kpi_rules.writers.json_rows import encode_rows
from kpi_rules.writers.results_json import to_json

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policies" / "ops-department.yaml"
DATA = ROOT / "examples" / "ops-2024.csv"
EXAMPLE = ROOT / "examples" / "ops-2024-Q2.calibration.yaml"
HEAD = "apiVersion: kpi-rules/v1\nkind: Calibration\npolicy: ops-department\n"


def _write(tmp_path: Path, body: str, name: str = "cal.yaml", period: str = "2024-Q2") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + f"period: {period}\n" + textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


def _adjust(employee: str, grade: str, extra: str = "") -> str:
    return (f"  - {{employee_id: {employee}, grade: {grade}, reason: context the data misses, by: lead, "
            f"approved_by: director, date: 2024-07-05{extra}}}\n")


@pytest.fixture(scope="module")
def ops() -> tuple[Any, Any]:
    policy = load_policy(POLICY)
    return policy, load_data(policy, DATA)


def _rows(ev: Any) -> dict[str, dict[str, Any]]:
    rows = ev.result.employees()
    # the JSON writer's column encoder makes exactly these dicts, calibration keys included
    assert encode_rows(ev.result, 0, ev.result.n) == [orjson.dumps(r) for r in rows]
    return {r["employee_id"]: r for r in rows}


def test_the_example_moves_grades_after_forced_distribution_and_never_a_score(ops: tuple[Any, Any]) -> None:
    policy, table = ops
    plain, calibrated = evaluate(policy, table, "2024-Q2"), evaluate(policy, table, "2024-Q2", [load_calibration(
        EXAMPLE)])
    before, after = _rows(plain), _rows(calibrated)
    # E014 was moved A -> B by the A quota; the meeting gave A back, with A's pay coefficient
    assert (before["E014"]["grade_before_distribution"], before["E014"]["grade"]) == ("A", "B")
    assert (after["E014"]["grade_before_calibration"], after["E014"]["grade"]) == ("B", "A")
    assert after["E014"]["pay_coefficient"] == 1.2 and before["E014"]["pay_coefficient"] == 1
    assert after["E014"]["calibration"] == {
        "approved_by": "陈立(运营总监)", "by": "徐丽华(内容组经理)", "date": "2024-07-05", "grade": "A",
        "note": "感谢你在内容库迁移中的牵头作用,校准会一致认可。",
        "reason": "牵头完成内容库迁移项目(跨三个团队,数据中未体现),强制分布中仅以0.32分之差降档"}
    assert after["E007"]["grade"] == "C" and after["E007"]["pay_coefficient"] == 0.8
    assert "note" not in after["E007"]["calibration"]
    # the veto override is applied and reported; the veto itself stays in the results
    assert (after["E012"]["veto"], after["E012"]["grade_before_calibration"], after["E012"]["grade"]) == (
        "compliance", "D", "B")
    assert after["E012"]["calibration"]["override_veto"] is True
    assert "calibration overrides veto `compliance` (override_veto: true)" in after["E012"]["reasons"]
    assert after["E007"]["reasons"][-1].startswith("calibrated from B to C by 王建国(增长组经理), approved by "
                                                   "陈立(运营总监) on 2024-07-05, because: 两次重要活动上线延期")
    # nobody else changes, and no score changes at all
    for who, row in after.items():
        assert row["final"] == before[who]["final"]
        if row["calibration"] is None:
            assert row["grade"] == before[who]["grade"] == row["grade_before_calibration"] or row["status"] != "rated"


def test_quotas_are_counted_again_and_a_breach_reported_never_forced_back(ops: tuple[Any, Any]) -> None:
    policy, table = ops
    ev = evaluate(policy, table, "2024-Q2", [load_calibration(EXAMPLE)])
    after = ev.result.distribution["after_calibration"]
    assert after["breaches"] == [{"allowed": 9, "grade": "A", "group": "all", "holders": 10, "quota": "max"}]
    assert after["groups"][0]["quotas"]["A"] == {"allowed": 9, "holders": 10, "max": 0.25, "over": True}
    assert after["groups"][0]["quotas"]["D"] == {"actual": 4, "met": True, "min": 0.05, "required": 2}
    assert ev.result.summary()["grades"]["A"] == 10  # E014 keeps A


def test_uncalibrated_results_are_byte_identical(ops: tuple[Any, Any]) -> None:
    policy, table = ops
    text = to_json(evaluate(policy, table, "2024-Q2"))
    assert "calibrat" not in text
    assert text == to_json(evaluate(policy, table, "2024-Q2", []))


def test_calibrated_results_match_the_results_schema(ops: tuple[Any, Any]) -> None:
    policy, table = ops
    schema = json.loads((ROOT / "schemas" / "results.schema.json").read_text(encoding="utf-8"))
    for period in ("2024-Q2", "2024"):
        document = json.loads(to_json(evaluate(policy, table, period, [load_calibration(EXAMPLE)])))
        jsonschema.Draft202012Validator(schema).validate(document)
    q2 = evaluation_to_dict(evaluate(policy, table, "2024-Q2", [load_calibration(EXAMPLE)]))
    assert q2["calibrations"] == [{"adjustments": 3, "file": "ops-2024-Q2.calibration.yaml", "period": "2024-Q2",
                                   "policy": "ops-department", "sha256": load_calibration(EXAMPLE).sha256}]


def test_the_annual_review_averages_finals_and_a_quarter_veto_overridden_no_longer_applies(
        ops: tuple[Any, Any]) -> None:
    policy, table = ops
    plain = _rows(evaluate(policy, table, "2024"))
    calibrated = _rows(evaluate(policy, table, "2024", [load_calibration(EXAMPLE)]))
    assert plain["E012"]["veto"] == "compliance" and plain["E012"]["grade"] == "D"
    assert calibrated["E012"]["final"] == plain["E012"]["final"] == 109.02
    assert (calibrated["E012"]["veto"], calibrated["E012"]["grade"]) == (None, "A")
    assert calibrated["E012"]["reasons"] == [
        "veto `compliance` in 2024-Q2 was overridden by calibration; it does not apply to this review"]
    assert calibrated["E012"]["periods"]["2024-Q2"]["grade"] == "B"  # the quarter's calibrated grade
    # a quarter's calibration does not calibrate the annual grade: E014's annual row has no calibration keys
    assert "calibration" not in calibrated["E014"]


def test_the_annual_grade_is_calibrated_by_its_own_file(ops: tuple[Any, Any], tmp_path: Path) -> None:
    policy, table = ops
    annual = _write(tmp_path, "adjustments:\n" + _adjust("E002", "A"), period="2024")
    rows = _rows(evaluate(policy, table, "2024", [load_calibration(EXAMPLE), load_calibration(annual)]))
    assert (rows["E002"]["grade_before_calibration"], rows["E002"]["grade"]) == ("B", "A")
    assert rows["E002"]["calibration"]["by"] == "lead"


def _problems(ops: tuple[Any, Any], *files: Path, period: str = "2024-Q2") -> list[tuple[int, int, str, str]]:
    policy, table = ops
    with pytest.raises(CalibrationInvalid) as caught:
        evaluate(policy, table, period, [load_calibration(f) for f in files])
    return [(p.line, p.col, p.code, p.message) for p in caught.value.problems]


def test_bad_calibrations_name_the_file_line_and_what_is_wrong(ops: tuple[Any, Any], tmp_path: Path) -> None:
    path = _write(tmp_path, "adjustments:\n" + _adjust("E099", "B") + _adjust("E002", "AA") + _adjust("E012", "B")
                  + _adjust("E025", "B"))
    assert _problems(ops, path) == [
        (6, 19, "KR404", "E099 is not in the data for 2024-Q2"),
        (7, 32, "KR405", "`AA` is not a grade of the policy `ops-department`"),
        (8, 19, "KR406", "E012's grade D is set by the veto `compliance`: a calibration cannot set it aside "
                         "unnoticed"),
        (9, 19, "KR407", "E025 is not rated in 2024-Q2 (本季度在岗不足45天,本期不参与考核 (eligibility could not be "
                         "decided: a value it reads is missing)), so there is no grade to calibrate"),
    ]


def test_a_policy_or_period_that_does_not_match_is_an_error(ops: tuple[Any, Any], tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(HEAD.replace("ops-department", "support") + "period: 2024-Q2\nadjustments: []\n",
                     encoding="utf-8")
    assert _problems(ops, other) == [(3, 9, "KR402", "this calibration is for the policy `support`, but the "
                                                     "policy evaluated is `ops-department`")]
    assert _problems(ops, EXAMPLE, period="2024-Q3") == [
        (9, 9, "KR403", "this calibration is for 2024-Q2, but the evaluation is of 2024-Q3")]


def test_one_person_calibrated_twice_is_an_error(tmp_path: Path, ops: tuple[Any, Any]) -> None:
    path = _write(tmp_path, "adjustments:\n" + _adjust("E002", "A") + _adjust("E002", "C"))
    with pytest.raises(CalibrationInvalid) as caught:
        load_calibration(path)
    [problem] = caught.value.problems
    assert (problem.line, problem.col, problem.code, problem.message) == (
        7, 19, "KR401", "E002 is calibrated twice (also on line 6)")
    second = _write(tmp_path, "adjustments:\n" + _adjust("E002", "C"), name="second.yaml")
    first = _write(tmp_path, "adjustments:\n" + _adjust("E002", "A"), name="first.yaml")
    [(line, _, code, message)] = _problems(ops, first, second)
    assert (line, code, message) == (6, "KR401", f"E002 is calibrated twice (also in {first}:6)")


def test_the_schema_requires_a_reason_and_names_a_misspelt_field(tmp_path: Path) -> None:
    path = _write(tmp_path, "adjustments:\n  - {employee_id: E002, grade: A, by: lead, date: 2024-07-05, "
                            "aproved_by: x}\n")
    problems = validate_document(path).errors
    assert [(p.line, p.code, p.message) for p in problems] == [
        # the misspelt `aproved_by` is reported as such, not also as a missing `approved_by`
        (6, "KR011", "`adjustments[0]` needs the field `reason`"),
        (6, "KR010", "`aproved_by` is not a field of `adjustments[0]`"),
    ]
    assert problems[1].hint == "did you mean `approved_by`?"


def test_validate_document_tells_a_calibration_from_a_policy() -> None:
    assert validate_document(EXAMPLE).ok and validate_document(EXAMPLE).context is None
    assert validate_document(POLICY).ok and validate_document(POLICY).context is not None


def test_the_calibration_in_a_results_document_is_the_callers_own(ops: tuple[Any, Any]) -> None:
    policy, table = ops
    ev = evaluate(policy, table, "2024-Q2", [load_calibration(EXAMPLE)])
    document = evaluation_to_dict(ev)
    row = next(r for r in document["employees"] if r["employee_id"] == "E014")
    row["calibration"]["grade"] = "S"
    document["calibrations"][0]["file"] = "changed"
    again = evaluation_to_dict(ev)
    assert next(r for r in again["employees"] if r["employee_id"] == "E014")["calibration"]["grade"] == "A"
    assert again["calibrations"][0]["file"] == "ops-2024-Q2.calibration.yaml"
