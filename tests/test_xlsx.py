"""`--format xlsx`: every sheet of the workbook read back with openpyxl and compared
with the results document (evaluation_to_dict) of the example policies and data."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from kpi_rules.api import evaluate, evaluation_to_dict, load_data, load_policy
from kpi_rules.cli import main
from kpi_rules.engine import Evaluation
from kpi_rules.results.reasons import say
from kpi_rules.results.report_words import Labels
from kpi_rules.writers import WRITERS, xlsx_book
from kpi_rules.writers.results_xlsx import write_xlsx

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    "ops-q2": ("ops-department.yaml", "ops-2024.csv", "2024-Q2"),
    "ops-annual": ("ops-department.yaml", "ops-2024.csv", "2024"),
    "support-march": ("customer-support.yaml", "support-2024.csv", "2024-03"),
}


@cache
def _evaluation(case: str) -> Evaluation:
    policy_file, data_file, period = CASES[case]
    policy = load_policy(ROOT / "policies" / policy_file)
    return evaluate(policy, load_data(policy, ROOT / "examples" / data_file), period)


def _book(ev: Evaluation) -> Any:
    buffer = io.BytesIO()
    write_xlsx(ev, buffer)
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))


def _records(sheet: Any) -> list[dict[str, Any]]:
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def _text(reasons: list[str], t: Labels) -> str | None:
    return t["reason_sep"].join(say(r, t.locale) for r in reasons) or None


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_employees_sheet_holds_the_results_row_for_row(case: str) -> None:
    ev = _evaluation(case)
    doc, t = evaluation_to_dict(ev), Labels(ev.policy.locale)
    records = _records(_book(ev)[t["sheet_employees"]])
    vetoes = {v.id: v.label for v in ev.policy.vetoes}
    assert len(records) == len(doc["employees"]) > 0
    for row, emp in zip(records, doc["employees"]):
        assert row[t["employee_id"]] == emp["employee_id"] and row[t["name"]] == emp["name"]
        assert (row[t["role"]], row[t["team"]], row[t["data_line"]]) == (emp["role"], emp["team"], emp["line"])
        assert row[t["status"]] == t.status(emp["status"])
        for ind in ev.policy.indicators:
            if ind.label in row:
                assert row[ind.label] == emp["indicators"].get(ind.id, {}).get("score")
        fields = {"final": "final", "pay_coefficient": "pay_coefficient"}
        if ev.kind == "period":
            fields |= {"individual_score": "individual", "team_score": "team_score", "bonus": "bonus",
                       "deduction": "deduction", "team_coefficient": "coefficient_team"}
        for label, key in fields.items():
            assert row[t[label]] == emp[key], (emp["employee_id"], key)
        assert row[t["grade"]] == emp["grade"]
        assert row[t["kind_veto"]] == (vetoes.get(emp["veto"]) if emp["veto"] else None)
        assert row[t["calibration"]] is None
        assert row[t["reason"]] == _text(emp["reasons"], t)
    assert any(r[t["reason"]] for r in records) == any(e["reasons"] for e in doc["employees"])


@pytest.mark.parametrize("case", ["ops-q2", "support-march"])
def test_the_indicators_sheet_is_the_long_form_of_every_rated_row(case: str) -> None:
    ev = _evaluation(case)
    doc, t = evaluation_to_dict(ev), Labels(ev.policy.locale)
    labels = {ind.id: ind.label for ind in ev.policy.indicators}
    expected = [(emp["employee_id"], labels[key], v["actual"], v["target"], v["achievement"], v["score"],
                 v["weight"], v["weighted"], bool(v["flags"]))
                for emp in doc["employees"] if emp["status"] == "rated"
                for key in [i.id for i in ev.policy.indicators] if (v := emp["indicators"].get(key))]
    got = [(r[t["employee_id"]], r[t["indicator"]], r[t["actual"]], r[t["target"]], r[t["achievement"]],
            r[t["score"]], r[t["weight"]], r[t["points"]], r[t["flags"]] is not None)
           for r in _records(_book(ev)[t["sheet_indicators"]])]
    assert sorted(got, key=repr) == sorted(expected, key=repr) and len(got) > 50


def test_the_annual_review_has_a_periods_sheet_with_each_quarter_side_by_side() -> None:
    ev = _evaluation("ops-annual")
    doc, t = evaluation_to_dict(ev), Labels(ev.policy.locale)
    book = _book(ev)
    assert t["sheet_indicators"] not in book.sheetnames
    records = _records(book[t["sheet_periods"]])
    quarters = ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    for row, emp in zip(records, doc["employees"], strict=True):
        for q in quarters:
            entry = emp["periods"].get(q)
            final, grade = row[t.fill("period_final", period=q)], row[t.fill("period_grade", period=q)]
            if entry is None:
                assert (final, grade) == (None, None)
            else:
                assert final == entry["final"]
                assert grade == (entry["grade"] if entry["status"] == "rated" else t.status(entry["status"]))
        assert (row[t["annual_final"]], row[t["grade"]]) == (emp["final"], emp["grade"])
    errors = _records(book[t["sheet_errors"]])
    # E033's Q4 row is an error (line 155); E025 is not rated in the year
    e033 = [r for r in errors if r[t["employee_id"]] == "E033"]
    assert [(r[t["period"]], r[t["data_line"]], r[t["status"]]) for r in e033] == [("2024-Q4", 155, t.status("error"))]
    assert "155" in e033[0][t["reason"]]


def test_the_errors_sheet_lists_every_row_not_rated_with_its_reason_and_line() -> None:
    ev = _evaluation("ops-q2")
    doc, t = evaluation_to_dict(ev), Labels(ev.policy.locale)
    errors = _records(_book(ev)[t["sheet_errors"]])
    expected = [(e["employee_id"], e["line"], t.status(e["status"]), _text(e["reasons"], t))
                for e in doc["employees"] if e["status"] != "rated"]
    assert [(r[t["employee_id"]], r[t["data_line"]], r[t["status"]], r[t["reason"]]) for r in errors] == expected
    assert expected


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_summary_and_teams_sheets_agree_with_the_results(case: str) -> None:
    ev = _evaluation(case)
    doc, t = evaluation_to_dict(ev), Labels(ev.policy.locale)
    book = _book(ev)
    lines = {row[0]: row[1:] for row in book[t["sheet_summary"]].iter_rows(values_only=True) if row[0]}
    summary = doc["summary"]
    assert lines[t["rated"]][0] == summary["rated"] and lines[t["not_rated"]][0] == summary["not_rated"]
    assert lines[t["errors"]][0] == summary["error"] and lines[t["rows_in_period"]][0] == summary["rows"]
    assert lines[t["period"]][0] == doc["period"] and lines[t["version"]][0] == doc["policy"]["version"]
    for grade in ev.policy.grades:
        assert lines[grade.grade][1] == summary["grades"].get(grade.grade, 0)
    teams = _records(book[t["sheet_teams"]])
    by_team: dict[Any, list[dict[str, Any]]] = {}
    for emp in doc["employees"]:
        by_team.setdefault(emp["team"], []).append(emp)
    assert [r[t["team"]] for r in teams] == sorted(by_team, key=str)
    for row in teams:
        members = by_team[row[t["team"]]]
        rated = [e for e in members if e["status"] == "rated"]
        assert (row[t["members"]], row[t["headcount"]]) == (len(members), len(rated))
        finals = [e["final"] for e in rated]
        assert row[t["lowest"]] == min(finals) and row[t["highest"]] == max(finals)
        assert row[t["mean_final"]] == pytest.approx(sum(finals) / len(finals), abs=0.005)
        for grade in ev.policy.grades:
            assert row[grade.grade] == sum(1 for e in rated if e["grade"] == grade.grade)
        for entry in doc["teams"]:
            if entry["team"] == row[t["team"]]:
                assert row[t["team_score"]] == entry["team_score"]


def test_quota_checks_on_the_summary() -> None:
    ev = _evaluation("ops-q2")
    t = Labels(ev.policy.locale)
    rows = list(_book(ev)[t["sheet_summary"]].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == t["distribution"])
    header = rows[start + 2]
    quotas = [dict(zip(header, r)) for r in rows[start + 3:start + 6]]
    got = {(q[t["grade"]], q[t["places"]], q[t["holders"]], q[t["moved"]], q[t["result"]]) for q in quotas}
    assert got == {("S", 3, 4, 1, t["over_quota"]), ("A", 9, 15, 6, t["over_quota"]), ("D", 2, 5, 0, t["met"])}


GOLDEN_EN = {
    "Employees": (["Employee id", "Name", "Role", "Team", "Status", "Data line"], ["Individual score", "Team score",
                  "Bonus", "Deduction", "Team coefficient", "Final score", "Grade", "Pay coefficient", "Veto",
                  "Calibration", "Reason"]),
    "Indicators": (["Employee id", "Name", "Indicator", "Actual", "Target", "Achievement", "Score", "Weight",
                    "Points", "Notes"], []),
    "Errors": (["Employee id", "Name", "Team", "Period", "Data line", "Status", "Reason"], []),
}
FORMATS_EN = {"Indicators": {"Achievement": "0.00%", "Score": "0.00", "Weight": "0.0%", "Points": "0.00",
                             "Actual": "General"},
              "Employees": {"Final score": "0.00", "Data line": "0", "Pay coefficient": "0.00"}}


def test_golden_sheet_names_headers_and_number_formats() -> None:
    ev = _evaluation("support-march")
    book = _book(ev)
    assert book.sheetnames == ["Summary", "Employees", "Indicators", "Teams", "Errors"]
    for name, (first, last) in GOLDEN_EN.items():
        header = [c.value for c in book[name][1]]
        assert header[:len(first)] == first and (not last or header[-len(last):] == last), header
        assert book[name].freeze_panes in ("B2", "C2") and book[name].auto_filter.ref.startswith("A1:")
    for name, formats in FORMATS_EN.items():
        sheet = book[name]
        header = [c.value for c in sheet[1]]
        for label, fmt in formats.items():
            cells = [row[header.index(label)] for row in sheet.iter_rows(min_row=2) if row[header.index(label)].value
                     is not None]
            assert cells and {c.number_format for c in cells} == {fmt}, label
            assert {c.data_type for c in cells} == {"n"}, label  # numbers, never text


def test_zh_cn_labels_for_the_ops_policy() -> None:
    book = _book(_evaluation("ops-q2"))
    assert book.sheetnames == ["汇总", "员工", "指标明细", "团队", "数据问题"]
    assert [c.value for c in book["员工"][1]][:5] == ["工号", "姓名", "岗位", "团队", "状态"]
    assert book["汇总"]["A1"].value == "运营部门KPI绩效考核方案"


def _support_with(tmp_path: Path, names: dict[str, str]) -> Evaluation:
    text = (ROOT / "examples" / "support-2024.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    header = lines[0].split(",")
    col = header.index("name")
    for k, name in enumerate(names.values(), start=1):
        cells = lines[k].split(",")
        cells[col] = '"' + name.replace('"', '""') + '"'
        lines[k] = ",".join(cells)
    data = tmp_path / "data.csv"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    policy = load_policy(ROOT / "policies" / "customer-support.yaml")
    return evaluate(policy, load_data(policy, data), "2024-01")


def test_a_formula_or_markup_in_a_name_stays_text(tmp_path: Path) -> None:
    names = {"a": '=HYPERLINK("http://x","y")', "b": "+1", "c": "-2", "d": "@SUM(A1)", "e": "<r><t>x</t></r>"}
    ev = _support_with(tmp_path, names)
    sheet = _book(ev)["Employees"]
    cells = [row[1] for row in sheet.iter_rows(min_row=2, max_row=6)]
    assert [c.value for c in cells] == list(names.values())
    assert {c.data_type for c in cells} == {"s"}


def test_a_long_form_over_the_sheet_limit_continues_on_numbered_sheets(monkeypatch: pytest.MonkeyPatch) -> None:
    ev = _evaluation("support-march")
    whole = _records(_book(ev)["Indicators"])
    monkeypatch.setattr(xlsx_book, "MAX_ROWS", 21)
    book = _book(ev)
    assert book.sheetnames[2:2 + 3] == ["Indicators", "Indicators 2", "Indicators 3"]
    parts = [_records(book[n]) for n in book.sheetnames if n.startswith("Indicators")]
    assert [len(p) for p in parts[:-1]] == [20] * (len(parts) - 1) and [r for p in parts for r in p] == whole
    notes = [r[1] for r in book["Summary"].iter_rows(values_only=True) if r[0] == "Indicators"]
    assert notes and f"{len(whole)} rows" in notes[0] and "Indicators 2" in notes[0]


def test_the_calibration_column_is_filled_when_the_results_carry_calibration() -> None:
    from kpi_rules import load_calibration

    policy = load_policy(ROOT / "policies" / "customer-support.yaml")
    table = load_data(policy, ROOT / "examples" / "support-2024.csv")
    calibration = load_calibration(ROOT / "tests" / "calibration" / "customer-support-2024-03.calibration.yaml")
    rows = {r["Employee id"]: r for r in _records(_book(evaluate(policy, table, "2024-03", [calibration]))[
        "Employees"])}
    assert rows["S004"]["Calibration"] == (
        "B → A: Covered the night queue for three weeks while the team was short; the data counts no overtime. "
        "(by Maria Lopez (team lead), approved by Sam Carter (head of support), 2024-04-03)")
    assert rows["S002"]["Calibration"].startswith("C → B: The survey sample was four tickets")
    assert sum(r["Calibration"] is not None for r in rows.values()) == 2


def test_the_cli_writes_a_workbook_and_refuses_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert WRITERS["xlsx"].binary and WRITERS["xlsx"].media_type.endswith("spreadsheetml.sheet")
    args = ["evaluate", str(ROOT / "policies" / "customer-support.yaml"), "--data",
            str(ROOT / "examples" / "support-2024.csv"), "--period", "2024-03", "--format", "xlsx"]
    result = CliRunner().invoke(main, [*args, "--out", f"{tmp_path}/"])
    assert result.exit_code == 0, result.output
    written = tmp_path / "customer-support-2024-03.xlsx"
    assert openpyxl.load_workbook(written).sheetnames[0] == "Summary"
    piped = CliRunner().invoke(main, args)  # standard output is not a terminal here
    assert piped.exit_code == 0 and piped.stdout_bytes[:2] == b"PK"
    monkeypatch.setattr("kpi_rules.cli.evaluate_cmd._stdout_is_terminal", lambda: True)
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2 and "--out" in refused.output and "Traceback" not in refused.output


def test_the_same_results_give_the_same_bytes() -> None:
    ev = _evaluation("support-march")
    first, second = io.BytesIO(), io.BytesIO()
    write_xlsx(ev, first)
    write_xlsx(ev, second)
    assert first.getvalue() == second.getvalue() and first.getvalue()[:2] == b"PK"


def _cells(book: Any) -> dict[str, list[tuple[Any, ...]]]:
    return {name: [(c.coordinate, c.value, c.data_type, c.number_format) for row in book[name].iter_rows()
                   for c in row if c.value is not None] for name in book.sheetnames}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rows_streamed_as_xml_equal_rows_written_cell_by_cell(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ev = _evaluation(case)
    streamed = _book(ev)
    monkeypatch.setattr(xlsx_book, "FAST_ROWS", False)
    per_cell = _book(ev)
    assert _cells(streamed) == _cells(per_cell)
    for name in streamed.sheetnames:
        assert streamed[name].dimensions == per_cell[name].dimensions
        assert streamed[name].auto_filter.ref == per_cell[name].auto_filter.ref
        assert [(k, d.width) for k, d in streamed[name].column_dimensions.items()] == [
            (k, d.width) for k, d in per_cell[name].column_dimensions.items()]


@pytest.mark.parametrize("fast", [True, False])
def test_text_that_needs_escaping_comes_back_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        fast: bool) -> None:
    monkeypatch.setattr(xlsx_book, "FAST_ROWS", fast)
    names = {"a": "A & B <c>", "b": "x</t></is></c>", "c": "tab\there", "d": "_x0041_ literal", "e": "bell\x07"}
    ev = _support_with(tmp_path, names)
    cells = [row[1] for row in _book(ev)["Employees"].iter_rows(min_row=2, max_row=6)]
    # a control character, and a literal _xHHHH_, are stored in Excel's escapes (which Excel
    # shows as typed; openpyxl leaves them escaped)
    assert [c.value for c in cells] == [*list(names.values())[:3], "_x005F_x0041_ literal", "bell_x0007_"]
