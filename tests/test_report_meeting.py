"""Reports for a meeting (issue 12, section 4): numbers that never contradict the score, the annual
review's periods, forced-distribution moves with their reason, the order of the sections, and the
small things a manager notices (captions, highlights, badge colours)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import run
from update_golden import evaluation

from kpi_rules.report import render_employee_sheets, render_html, render_markdown, report_context
from kpi_rules.report.numbers import fmt_amount, fmt_num, fmt_pct
from kpi_rules.results.display import edge_decimals

POLICY = """\
cycle:
  period: quarter
  rollup: {period: year, method: mean, min_periods: 1}
inputs:
  sales: {type: number, min: 0}
  quota: {type: number, min: 0}
indicators:
  attainment: {label: Quota attainment, formula: sales / quota, missing: zero}
scales:
  lin: {type: linear, points: {floor: 60, target: 100, stretch: 120}, below_floor: 0}
roles:
  rep: {label: Sales rep, indicators: {attainment: {weight: 100%, floor: 0.5, target: 1, stretch: 1.2, scale: lin}}}
  lead: {label: Team lead, indicators: {attainment: {weight: 100%, floor: 0.5, target: 1, stretch: 1.2, scale: lin}}}
distribution:
  scope: team
  mode: enforce
  min_group_size: 1
  quotas: {A: {max: 25%}}
"""


def rows() -> list[dict[str, Any]]:
    q1 = [("E1", "rep", "smb", 99.65), ("E2", "rep", "smb", 104), ("E3", "rep", "smb", 103), ("E4", "rep", "smb", 80),
          ("E5", "rep", "enterprise", 0)]
    out: list[dict[str, Any]] = [{"employee_id": e, "name": e.lower(), "role": r, "team": t, "period": "2024-Q1",
                                  "sales": s, "quota": 100} for e, r, t, s in q1]
    out.append({"employee_id": "E6", "name": "e6", "role": "rep", "team": "smb", "period": "2024-Q1", "sales": 50,
                "quota": 0})  # 50 / 0: cannot be computed, scored 0 (`missing: zero`)
    # Q2: E1 becomes a team lead in team enterprise; E2's row is an error; E3 has no Q2 row.
    out += [{"employee_id": "E1", "name": "e1", "role": "lead", "team": "enterprise", "period": "2024-Q2",
             "sales": 110, "quota": 100},
            {"employee_id": "E2", "name": "e2", "role": "rep", "team": "smb", "period": "2024-Q2", "sales": -5,
             "quota": 100},
            {"employee_id": "E4", "name": "e4", "role": "rep", "team": "smb", "period": "2024-Q2", "sales": 90,
             "quota": 100}]
    return out


@pytest.fixture
def quarter(tmp_path: Path) -> Any:
    return run(tmp_path, POLICY, rows(), period="2024-Q1")


@pytest.fixture
def annual(tmp_path: Path) -> Any:
    return run(tmp_path, POLICY, rows(), period="2024")


def person(context: dict[str, Any], employee_id: str) -> dict[str, Any]:
    return next(p for p in context["people"] if p["employee_id"] == employee_id)


# --- display rounding never contradicts the score ---------------------------------------------

def test_a_rounded_number_never_crosses_an_edge() -> None:
    assert fmt_num(0.9965) == "1"  # no edge: rounded as always
    assert fmt_amount(0.9965, "", [1.0]) == "0.997" and fmt_pct(0.9965, 1, [1.0]) == "99.7%"
    assert fmt_pct(0.99996, 1, [1.0]) == "99.996%" and fmt_pct(1.00004, 1, [1.0]) == "100.004%"
    assert fmt_pct(1.0, 1, [1.0]) == "100%" and fmt_num(90, 2, [90]) == "90"
    assert fmt_num(89.996, 2, [70, 85, 100]) == "90" and fmt_num(89.996, 2, [90]) == "89.996"
    assert fmt_amount(0.02496, "percent", [0.025]) == "2.496%"
    assert edge_decimals(0.5, 2, [None]) == 2


def test_attainment_below_target_is_not_shown_as_the_target(quarter: Any) -> None:
    e1 = person(report_context(quarter), "E1")["indicators"][0]
    assert (e1["actual"], e1["score"]) == (0.9965, 99.72)
    md = render_markdown(quarter)
    assert "| Quota attainment | 0.997 | 1 | 99.7% | 99.72 |" in md
    assert "| Quota attainment | 1 | 1 |" not in md


# --- the annual review: errors counted, lines named, periods and changes told -----------------

def test_annual_header_counts_the_input_rows_in_error(annual: Any) -> None:
    assert annual.error_rows == 1
    md = render_markdown(annual)
    assert "| Errors | 0 |" in md and "| Input rows with errors | 1 |" in md


def test_annual_data_problems_name_each_periods_own_line(annual: Any) -> None:
    problems = {(p["employee_id"], p["period"]): p for p in report_context(annual)["problems"]}
    e2 = problems["E2", "2024-Q2"]
    assert (e2["line"], e2["status"]) == (9, "error")
    assert ("E2", "2024") not in problems  # E2's review is rated (from Q1)
    real = evaluation("ops-department", "ops-2024.csv", "2024")
    ops = {(p["employee_id"], p["period"]): p["line"] for p in report_context(real)["problems"]}
    assert ops[("E033", "2024-Q4")] == 155 and ops[("E025", "2024-Q2")] == 66


def test_annual_review_says_which_quarters_it_left_out(annual: Any) -> None:
    ctx = report_context(annual)
    assert person(ctx, "E2")["notes"][0].startswith("Provisional: 2024-Q2 is not in this review (error: ")
    assert person(ctx, "E3")["notes"] == ["Provisional: the data has no 2024-Q2 row for this person."]
    assert not any(n.startswith("Provisional") for n in person(ctx, "E4")["notes"])


def test_annual_review_says_when_the_role_or_team_changed(annual: Any) -> None:
    notes = person(report_context(annual), "E1")["notes"]
    assert notes == [
        "Role changed during the review (2024-Q1 Sales rep, 2024-Q2 Team lead); the review uses Team lead, "
        "the latest period's.",
        "Team changed during the review (2024-Q1 smb, 2024-Q2 enterprise); the review uses enterprise, "
        "the latest period's."]
    assert notes[0] in render_markdown(annual)


# --- forced distribution says why -------------------------------------------------------------

def test_a_demoted_person_is_told_why(quarter: Any) -> None:
    ctx = report_context(quarter)
    assert person(ctx, "E3")["move"]["why"] == (
        " Ranked 2 of the 2 who reached A in team smb (5 rated); A allows 1.")
    md = render_markdown(quarter)
    assert "Forced distribution: A → B. Ranked 2 of the 2 who reached A in team smb (5 rated); A allows 1." in md
    sheet = render_employee_sheets(quarter, "html")["E3"]
    assert "Ranked 2 of the 2 who reached A in team smb (5 rated); A allows 1." in sheet


def test_explain_gives_the_same_rank_as_the_report(quarter: Any) -> None:
    from kpi_rules.explanation.person import explain

    assert ("Forced distribution: A -> B: ranked 2 of the 2 who reached A in team smb (5 rated); A allows 1"
            in explain(quarter, "E3"))


def test_explain_a_tie_at_the_cut_gives_the_rank(tmp_path: Path) -> None:
    from kpi_rules.explanation.person import explain

    data = [{"employee_id": f"T{k}", "name": f"t{k}", "role": "rep", "team": "mid", "period": "2024-Q1",
             "sales": s, "quota": 100} for k, s in enumerate([103, 102, 102, 80, 80, 80, 80, 80])]
    ev = run(tmp_path, POLICY, data, period="2024-Q1")
    lines = explain(ev, "T2")
    assert ("Forced distribution: A -> B: ranked 2 of the 3 who reached A in team mid (8 rated); A allows 2; "
            "tied at 102 with others at the cut, all moved down together") in lines


def test_the_chinese_reason_names_the_group_once() -> None:
    ev = evaluation("ops-department", "ops-2024.csv", "2024-Q2")
    md = render_markdown(ev)
    assert "强制分布:S → A。全部门已评定39人,4人达到S,本人在其中排名第4;S名额为3人。" in md


# --- what a manager reads first; fingerprints at the end ---------------------------------------

@pytest.mark.parametrize("fmt", ["md", "html"])
def test_summary_distribution_and_teams_lead_and_fingerprints_close(quarter: Any, fmt: str) -> None:
    text = render_markdown(quarter) if fmt == "md" else render_html(quarter)
    sha = quarter.policy.sha256
    assert text.index(sha) > text.index("Rated")
    if fmt == "html":  # after the table of contents
        text = text[text.index("</nav>"):]
    order = [text.index(s) for s in ("Whole department", "Forced distribution", "Team enterprise",
                                     "Individual results", "Data problems", "About this report", sha)]
    assert order == sorted(order)
    assert text.count(sha) == 1 and text.count(quarter.table.sha256) == 1
    sheet = render_employee_sheets(quarter, fmt)["E1"]
    assert sheet.index("About this report") < sheet.index(sha)
    assert sheet.index(sha) > sheet.index("Individual results")


# --- captions, highlights, badges --------------------------------------------------------------

def test_chart_captions_name_the_team_once(quarter: Any) -> None:
    html = render_html(quarter)
    assert "Mean indicator score: Team enterprise" in html and "team Team" not in html
    zh = render_html(evaluation("ops-department", "ops-2024.csv", "2024-Q2"))
    assert "团队 growth各指标平均得分" in zh and "团队 团队" not in zh


def test_an_indicator_that_could_not_be_computed_is_highlighted(quarter: Any) -> None:
    e6 = person(report_context(quarter), "E6")["indicators"][0]
    assert (e6["score"], e6["uncomputed"], e6["below"]) == (0, True, None)
    html = render_html(quarter)
    row = re.search(r'<tr class="uncomputed"><th scope="row">Quota attainment</th>.*?</tr>', html)
    assert row is not None and "<strong>⚠ " in row.group(0)
    assert "| **⚠ " in render_markdown(quarter)
    assert not person(report_context(quarter), "E4")["indicators"][0]["uncomputed"]


def test_the_grade_badge_has_a_colour_per_grade(quarter: Any) -> None:
    html = render_html(quarter)
    # S (the best of five grades) is tone 0, D (the worst) tone 4; each grade its own colour.
    badges = re.findall(r'<span class="grade tone-(\d)">(\w)</span>', html)
    assert badges == [("2", "B"), ("1", "A"), ("2", "B"), ("3", "C"), ("4", "D"), ("4", "D")]
    assert ".grade.tone-0{" in html and ".grade.tone-4{" in html


# --- several files: each row names its file ---------------------------------------------------

def several(tmp_path: Path, period: str) -> Any:
    """rows() as two files, Q1 and Q2, whose rows share line numbers (line 2 is E1 in both)."""
    from engine_helpers import build_policy, employees, write_rows

    from kpi_rules.data.several import read_sources
    from kpi_rules.data.table import type_table
    from kpi_rules.engine import evaluate

    data = rows()
    # line 2 of both files is E1's row: a rep in smb in q1.csv, a team lead in enterprise in q2.csv
    files = [write_rows(tmp_path, data[:6], name="q1"), write_rows(tmp_path, data[6:], name="q2")]
    policy = build_policy(tmp_path, POLICY)
    ev = evaluate(policy, type_table(policy, read_sources(files)), period)
    employees(ev)  # the JSON writer's rows are the model's
    return ev


def test_several_files_name_each_rows_file(tmp_path: Path) -> None:
    from engine_helpers import by_id

    annual = several(tmp_path, "2024")
    e1, e2 = by_id(annual)["E1"], by_id(annual)["E2"]
    assert (e1["file"], e1["line"]) == ("q1.csv", 2)
    assert e1["periods"] == {"2024-Q1": {"status": "rated", "line": 2, "file": "q1.csv", "final": 99.72, "grade": "B"},
                             "2024-Q2": {"status": "rated", "line": 2, "file": "q2.csv", "final": 110, "grade": "S"}}
    why = [r for r in e2["reasons"] if r.code == "rollup_period"]
    assert str(why[0]).startswith("2024-Q2 (line q2.csv:3): error: column `sales`")
    quarter = several(tmp_path, "2024-Q2")
    assert [(r["employee_id"], r["file"], r["line"]) for r in [quarter.result.employee(i) for i in range(3)]] == [
        ("E1", "q2.csv", 2), ("E2", "q2.csv", 3), ("E4", "q2.csv", 4)]


def test_several_files_role_changes_are_looked_up_in_their_own_file(tmp_path: Path) -> None:
    annual = several(tmp_path, "2024")
    ctx = report_context(annual)
    assert person(ctx, "E1")["notes"] == [
        "Role changed during the review (2024-Q1 Sales rep, 2024-Q2 Team lead); the review uses Team lead, "
        "the latest period's.",
        "Team changed during the review (2024-Q1 smb, 2024-Q2 enterprise); the review uses enterprise, "
        "the latest period's."]
    # E4 is on line 5 of q1.csv and line 4 of q2.csv, a rep in smb in both: no change to tell
    assert person(ctx, "E4")["notes"] == []
    assert person(ctx, "E1")["line"] == "q1.csv:2"
    problems = {(p["employee_id"], p["period"]): p for p in ctx["problems"]}
    assert problems["E2", "2024-Q2"]["line"] == "q2.csv:3"
    md = render_markdown(annual)
    assert "| e2 (E2) | smb | 2024-Q2 | q2.csv:3 | error |" in md


def test_several_files_in_the_workbook_name_each_rows_file(tmp_path: Path) -> None:
    import io

    import openpyxl

    from kpi_rules.results.report_words import Labels
    from kpi_rules.writers.results_xlsx import write_xlsx

    annual = several(tmp_path, "2024")
    buffer = io.BytesIO()
    write_xlsx(annual, buffer)
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    t = Labels("en")
    rows = list(book[t["sheet_employees"]].iter_rows(values_only=True))
    line = rows[0].index(t["data_line"])
    assert [r[line] for r in rows[1:]] == ["q1.csv:2", "q1.csv:3", "q1.csv:4", "q1.csv:5", "q1.csv:6", "q1.csv:7"]
    errors = list(book[t["sheet_errors"]].iter_rows(values_only=True))
    where = errors[0].index(t["data_line"])
    assert [(r[0], r[3], r[where]) for r in errors[1:]] == [("E2", "2024-Q2", "q2.csv:3")]
