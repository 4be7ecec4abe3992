"""`--calibration` on evaluate, explain and diff; `validate` on a calibration file; review sheets."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result
from update_golden import CALIBRATED, evaluation

from kpi_rules.cli import main
from kpi_rules.report import render_employee_sheets

ROOT = Path(__file__).resolve().parent.parent
POLICY = str(ROOT / "policies" / "ops-department.yaml")
DATA = str(ROOT / "examples" / "ops-2024.csv")
EXAMPLE = str(ROOT / "examples" / "ops-2024-Q2.calibration.yaml")
SUPPORT_CAL = str(ROOT / "tests" / "calibration" / "customer-support-2024-03.calibration.yaml")


def _invoke(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_evaluate_applies_the_calibration_file() -> None:
    result = _invoke("evaluate", POLICY, "--data", DATA, "--period", "2024-Q2", "--calibration", EXAMPLE)
    assert result.exit_code == 0
    rows = {r["employee_id"]: r for r in json.loads(result.stdout)["employees"]}
    assert (rows["E014"]["grade_before_calibration"], rows["E014"]["grade"]) == ("B", "A")
    assert rows["E014"]["calibration"]["approved_by"] == "陈立(运营总监)"


def test_a_calibration_that_does_not_fit_the_data_exits_1_naming_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "q2.yaml"
    bad.write_text(Path(EXAMPLE).read_text(encoding="utf-8").replace("E007", "E070"), encoding="utf-8")
    result = _invoke("evaluate", POLICY, "--data", DATA, "--period", "2024-Q2", "--calibration", str(bad))
    assert result.exit_code == 1 and result.stdout == ""
    assert f"{bad}:27:18: error KR404 E070 is not in the data for 2024-Q2  [calibration-employee]" in result.stderr
    assert " 27 |   - employee_id: E070" in result.stderr
    assert "Traceback" not in result.output


def test_a_calibration_file_with_a_shape_error_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "q2.yaml"
    bad.write_text(Path(EXAMPLE).read_text(encoding="utf-8").replace("    approved_by: 陈立(运营总监)\n", "", 1),
                   encoding="utf-8")
    result = _invoke("explain", POLICY, "--data", DATA, "--period", "2024-Q2", "--employee", "E014",
                     "--calibration", str(bad))
    assert result.exit_code == 1
    assert f"{bad}:12:5: error KR011 `adjustments[0]` needs the field `approved_by`" in result.stderr


def test_explain_says_the_calibration_step_in_zh() -> None:
    result = _invoke("explain", POLICY, "--data", DATA, "--period", "2024-Q2", "--employee", "E012",
                     "--calibration", EXAMPLE)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    step = lines.index("校准推翻一票否决 compliance(override_veto: true)")
    assert lines[step + 1] == ("绩效校准:由徐丽华(内容组经理)提出、陈立(运营总监)批准(2024-07-05),等级由 D 调整为 B,"
                               "原因:合规事件经法务复核,系供应商系统故障所致,本人无过错(法务复核意见 LEGAL-2024-031)")
    assert lines[step + 2] == "致员工:合规事件经复核与你无关,一票否决不再适用;等级按校准会意见定为B。"
    assert lines[step + 3] == "绩效系数:1"
    # suggestions read the calibrated grade: no improvement plan for a grade the meeting changed to B
    assert not any("PIP" in line for line in lines)


def test_explain_says_the_calibration_step_in_en() -> None:
    result = _invoke("explain", str(ROOT / "policies" / "customer-support.yaml"), "--data",
                     str(ROOT / "examples" / "support-2024.csv"), "--period", "2024-03", "--employee", "S004",
                     "--calibration", SUPPORT_CAL)
    assert result.exit_code == 0
    assert ("Calibration: calibrated from B to A by Maria Lopez (team lead), approved by Sam Carter (head of "
            "support) on 2024-04-03, because: Covered the night queue for three weeks while the team was short; "
            "the data counts no overtime.") in result.stdout.splitlines()
    assert "Note to the employee: Thank you for covering the night queue in March." in result.stdout


def test_explain_without_calibration_has_no_calibration_step() -> None:
    result = _invoke("explain", POLICY, "--data", DATA, "--period", "2024-Q2", "--employee", "E014")
    assert result.exit_code == 0 and "校准" not in result.stdout


def test_diff_reports_calibration_effects_apart_from_policy_effects(tmp_path: Path) -> None:
    new = tmp_path / "new.yaml"
    text = Path(POLICY).read_text(encoding="utf-8")
    new.write_text(text.replace("{grade: B, min: 85,", "{grade: B, min: 90,"), encoding="utf-8")
    args = ("diff", POLICY, str(new), "--data", DATA, "--period", "2024-Q2", "--calibration", EXAMPLE)
    result = _invoke(*args, "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    # the policy's effects compare uncalibrated grades: finals from 85 to 90 no longer reach B
    assert [(c["employee_id"], c["old_grade"], c["new_grade"]) for c in document["changed"]] == [
        ("E002", "B", "C"), ("E016", "B", "C"), ("E017", "B", "C"), ("E033", "B", "C")]
    effects = {e["employee_id"]: e for e in document["calibration"]["effects"]}
    assert document["calibration"]["files"] == ["ops-2024-Q2.calibration.yaml"]
    assert (effects["E014"]["old_before"], effects["E014"]["old_after"], effects["E014"]["new_after"]) == (
        "B", "A", "A")
    assert effects["E012"]["moot_under_new"] is False
    text_out = _invoke(*args).stdout
    assert "Calibration effects (ops-2024-Q2.calibration.yaml), applied after the policy" in text_out
    assert "E014      朱琳    B -> A           B -> A" in text_out
    plain = _invoke("diff", POLICY, str(new), "--data", DATA, "--period", "2024-Q2", "--format", "json")
    assert "calibration" not in json.loads(plain.stdout)


def test_validate_recognises_a_calibration_file(tmp_path: Path) -> None:
    result = _invoke("validate", EXAMPLE, POLICY)
    assert result.exit_code == 0 and "2 files, 0 errors, 0 warnings" in result.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(EXAMPLE).read_text(encoding="utf-8").replace("    grade: C\n", "    grade: C\n"
                                                                     "    grade: B\n"), encoding="utf-8")
    result = _invoke("validate", str(bad))
    assert result.exit_code == 1 and "KR002" in result.stdout
    schema = _invoke("schema", "calibration")
    assert json.loads(schema.stdout)["title"] == "kpi-rules calibration file"


def test_a_review_sheet_shows_the_calibration_and_its_note() -> None:
    policy, data, period, calibration = CALIBRATED[0]
    sheet = render_employee_sheets(evaluation(policy, data, period, calibration), "md")["E014"]
    assert "| 等级 | A 优秀 (由B校准) |" in sheet
    assert "致员工:感谢你在内容库迁移中的牵头作用,校准会一致认可。" in sheet


def test_the_csv_gains_calibration_columns_only_when_calibrated() -> None:
    import csv
    import io

    args = ("evaluate", POLICY, "--data", DATA, "--period", "2024-Q2", "--format", "csv")
    plain = list(csv.DictReader(io.StringIO(_invoke(*args).stdout)))
    rows = {r["employee_id"]: r for r in csv.DictReader(io.StringIO(_invoke(*args, "--calibration", EXAMPLE).stdout))}
    assert "grade_before_calibration" not in plain[0]
    assert (rows["E014"]["grade_before_calibration"], rows["E014"]["grade"], rows["E014"]["calibration_by"]) == (
        "B", "A", "徐丽华(内容组经理)")
    assert rows["E014"]["calibration_reason"].startswith("牵头完成内容库迁移项目")
    assert (rows["E002"]["grade_before_calibration"], rows["E002"]["calibration_reason"]) == ("B", "")
    assert rows["E025"]["grade_before_calibration"] == ""  # not rated: no grade
