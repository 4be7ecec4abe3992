"""The per-team tables of a large report, printed in Python (report/compact.py): the same text, byte for
byte, as the template's own loop, with every value escaped as the template escapes it."""

from __future__ import annotations

import copy
import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import kpi_rules
from kpi_rules.report import render_html, render_markdown
from kpi_rules.report.compact import add_table_rows
from kpi_rules.report.context import report_context
from kpi_rules.report.environment import render
from kpi_rules.report.numbers import fmt_num, fmt_num_column

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> kpi_rules.Evaluation:
    """15 people of 2024-03 copied 14 times (210 people in 28 teams), one with a hostile name."""
    with open(ROOT / "examples" / "support-2024.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["period"] == "2024-03"]
    path = tmp_path_factory.mktemp("compact") / "support-large.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        for k in range(14):
            for n, r in enumerate(rows):
                name = f"{HOSTILE} *x*_|y|" if (k, n) == (3, 2) else r["name"]
                writer.writerow({**r, "employee_id": f"{r['employee_id']}-{k}", "team": f"{r['team']}-{k}",
                                 "name": name})
    policy = kpi_rules.load_policy(ROOT / "policies" / "customer-support.yaml")
    return kpi_rules.evaluate(policy, kpi_rules.load_data(policy, path), "2024-03")


def _odd_people(context: dict[str, Any]) -> None:
    """Every branch of a table row: moves, calibrations, no final, a final at an edge, markup in labels,
    control characters, large numbers."""
    people = [p for g in context["people_by_team"] for p in g["people"]]
    assert len(people) > 8
    people[0].update(move={"from": "B", "to": "<A>", "applied": True}, final=104.99999, pay_coefficient=12345.678)
    people[1].update(move={"from": "B", "to": "A", "applied": False}, calibration={"before": "C&D"}, final=90.0)
    people[2].update(calibration={"before": "*B*"}, below=["a<b", "c|d", "e_f"], final=89.995)
    people[3].update(rated=False, grade=None, final=None, pay_coefficient=None, status_label="not <rated>")
    people[4].update(who="Ann \x1b[31m red", role_label="R&D | `ops`", final=float("nan"))
    people[5].update(below=[], final=-0.004, pay_coefficient=0.0)
    people[6].update(final=75.0000000001, grade_tone="x\"y")


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_rows_are_the_template_loop(large: kpi_rules.Evaluation, fmt: str) -> None:
    context = report_context(large, timestamp="T", compact=True)
    _odd_people(context)
    looped = render(fmt, f"report.{fmt}.j2", copy.deepcopy(context))
    add_table_rows(context, fmt)
    assert all("rows" in g for g in context["people_by_team"])
    assert render(fmt, f"report.{fmt}.j2", context) == looped


def test_names_stay_escaped(large: kpi_rules.Evaluation) -> None:
    html = render_html(large, timestamp="T")
    assert HOSTILE not in html
    assert "&lt;img src=x onerror=alert(1)&gt; *x*_|y|" in html
    md = render_markdown(large, timestamp="T")
    assert HOSTILE not in md
    assert r"\<img src=x onerror=alert(1)\> \*x\*\_\|y\|" in md


def test_small_reports_print_no_rows() -> None:
    from update_golden import evaluation
    context = report_context(evaluation("customer-support", "support-2024.csv", "2024-03"), compact=True)
    add_table_rows(context, "md")
    assert context["people_by_team"] == []


def test_a_column_formats_as_each_value() -> None:
    rng = np.random.default_rng(3)
    values: list[object] = [*rng.normal(90, 20, 2000), *np.round(rng.normal(90, 20, 2000), 2), None, True, "n/a",
                            89.995, 90.0, 104.999999, 105.000001, 74.9999999999, float("nan"), float("inf"),
                            12345.675, -0.004, 7]
    for edges in ([], [105.0, 90.0, 75.0], [None, 1.0]):
        for decimals in (0, 2, 3):
            assert fmt_num_column(values, decimals, edges) == [fmt_num(v, decimals, edges) for v in values]
    assert fmt_num_column([]) == []


def test_the_collector_is_paused_in_the_command_line_only(large: kpi_rules.Evaluation, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    import kpi_rules.report as report_module
    from kpi_rules.common import perf

    seen: list[tuple[str | None, bool]] = []
    real_render = report_module.render

    def spy(fmt: str, template: str, context: dict[str, Any], template_dir: Any = None) -> str:
        seen.append((template_dir, gc.isenabled()))
        return real_render(fmt, template, context, template_dir)

    monkeypatch.setattr(report_module, "render", spy)
    render_markdown(large)  # a library call: the collector stays on
    monkeypatch.setattr(perf, "ONE_RUN", True)
    render_html(large)  # the command line: off while the default templates render
    (tmp_path / "report.md.j2").write_text("{{ people | length }}", encoding="utf-8")
    assert render_markdown(large, template_dir=tmp_path) == "210"  # a user's template: on
    assert seen == [(None, True), (None, False), (tmp_path, True)]
    assert gc.isenabled()
