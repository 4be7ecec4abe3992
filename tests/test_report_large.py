"""Reports for a large employer: above DETAIL_LIMIT people one line per person in a table per team,
above TEAM_DETAIL_LIMIT teams one line per team; the figures are those of the full blocks."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

import kpi_rules
from kpi_rules.report import collaboration as collaboration_module
from kpi_rules.report import render_html, render_markdown
from kpi_rules.report.context import DETAIL_LIMIT, TEAM_DETAIL_LIMIT, employee_context, report_context, sheet_index
from kpi_rules.results.model import shown, shown_column

ROOT = Path(__file__).resolve().parents[1]
COPIES = 14  # 15 people of 2024-03, 2 teams: 210 people in 28 teams


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> kpi_rules.Evaluation:
    with open(ROOT / "examples" / "support-2024.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["period"] == "2024-03"]
    path = tmp_path_factory.mktemp("large") / "support-large.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        for k in range(COPIES):
            for r in rows:
                writer.writerow({**r, "employee_id": f"{r['employee_id']}-{k}", "team": f"{r['team']}-{k}"})
    policy = kpi_rules.load_policy(ROOT / "policies" / "customer-support.yaml")
    return kpi_rules.evaluate(policy, kpi_rules.load_data(policy, path), "2024-03")


def test_the_example_is_large(large: kpi_rules.Evaluation) -> None:
    ctx = report_context(large, compact=True)
    assert len(ctx["people"]) > DETAIL_LIMIT and len(ctx["overview"]["teams"]) > TEAM_DETAIL_LIMIT
    assert not ctx["people_detail"] and not ctx["teams_detail"]
    full = report_context(large)
    assert full["people_detail"] is False and full["teams_detail"] is True  # sheets keep every team's block


def test_markdown_one_line_per_person_and_per_team(large: kpi_rules.Evaluation) -> None:
    md = render_markdown(large, timestamp="T")
    ctx = report_context(large, compact=True)
    assert f"{len(ctx['people'])} people: too many for a block each" in md
    assert f"{len(ctx['overview']['teams'])} teams: one line each" in md
    for p in ctx["people"]:
        assert f"({p['employee_id']}) |" in md
    # no person blocks: a block starts with a role/team/period table
    assert "| Role | Team | Period | Status | Data line |" not in md
    # one table row per person in the per-team tables
    lines = [line for line in md.splitlines() if line.startswith("| ") and "(S0" in line and "| rated |" in line]
    assert len(lines) == sum(1 for p in ctx["people"] if p["rated"])


def test_html_tables_keep_the_anchors(large: kpi_rules.Evaluation) -> None:
    html = render_html(large, timestamp="T")
    ctx = report_context(large, compact=True)
    for p in ctx["people"]:
        assert f'id="{p["anchor"]}"' in html
    assert html.count('<details class="team-people">') == len(ctx["people_by_team"])
    assert '<article class="employee"' not in html


def test_compact_figures_are_the_full_blocks(large: kpi_rules.Evaluation) -> None:
    compact, full = report_context(large, compact=True), report_context(large)
    for c, f in zip(compact["people"], full["people"], strict=True):
        for key in c:
            if key != "indicators":
                assert c[key] == f[key], key
        assert c["indicators"] == [{k: i[k] for k in ("id", "label", "below")} for i in f["indicators"]]
    for key in ("teams", "below"):
        assert compact["suggestions"][key] == full["suggestions"][key]
    assert [p["who"] for p in compact["suggestions"]["employees"]] == [
        p["who"] for p in full["suggestions"]["employees"]]
    for line, block in zip(compact["overview"]["teams"], full["overview"]["teams"], strict=True):
        for key in ("team", "label", "headcount", "rows", "not_rated", "error", "mean_final", "median_final",
                    "min_final", "max_final"):
            assert line[key] == block[key], key
        assert line["grade_counts"] == [g["count"] for g in block["grades"]]


def test_small_reports_keep_every_block() -> None:
    from update_golden import evaluation
    ev = evaluation("customer-support", "support-2024.csv", "2024-03")
    ctx = report_context(ev, compact=True)
    assert ctx["people_detail"] and ctx["teams_detail"] and ctx["people_by_team"] == []


def test_who_lists_stop_at_the_limit(large: kpi_rules.Evaluation, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collaboration_module, "WHO_LIMIT", 2)
    ctx = report_context(large, compact=True)
    fired = [a for a in ctx["collaboration"]["adjustments"] if a["count"] > 2]
    assert fired
    for a in fired:
        assert len(a["who"]) == 2 and a["who_more"] == a["count"] - 2
    md = render_markdown(large, timestamp="T")
    assert f"and {fired[0]['who_more']} more" in md


def test_sheet_index_gives_the_same_sheets(large: kpi_rules.Evaluation) -> None:
    ctx = report_context(large)
    index = sheet_index(ctx)
    for emp in ("S001-0", "S007-3", "nobody"):
        assert employee_context(ctx, emp, index=index) == employee_context(ctx, emp)


def test_scalar_shown_is_the_column_rounding() -> None:
    rng = np.random.default_rng(7)
    values = [*rng.normal(0, 100, 3000), *np.round(rng.normal(0, 100, 3000), 3), 2.675, 84.99499999999999,
              0.125, -0.125, -0.0, 1e17, -1e12, float("inf"), float("nan"), 123456789.125]
    for decimals in (0, 1, 2, 4, 6, 10):
        column = shown_column(np.array(values), decimals)
        for value, expected in zip(values, column):
            got = shown(value, decimals)
            assert got == expected or (got is None and expected is None), (value, decimals)
            assert type(got) is type(expected)
