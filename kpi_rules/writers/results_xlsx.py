"""The results as an Excel workbook (`--format xlsx`): Summary, Employees, Indicators
(long form), Teams, Errors and, for an annual review, Periods; labels in the policy's
locale. docs/cli.md describes the sheets.

A sheet holds at most 1,048,576 rows: the long-form Indicators sheet of a large
evaluation continues on numbered sheets (`Indicators 2`, ...), and the Summary says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

from kpi_rules.common.perf import no_gc_pauses
from kpi_rules.engine import Evaluation
from kpi_rules.results.figures import final_figures_of_groups, grade_counts, quota_checks
from kpi_rules.results.model import shown_column
from kpi_rules.results.report_words import Labels
from kpi_rules.writers import XLSX_MEDIA_TYPE, xlsx_book
from kpi_rules.writers.xlsx_book import INT, PERCENT, SCORE, Book, Column, Table, text_width, write_value
from kpi_rules.writers.xlsx_rows import (
    employee_columns,
    employee_rows,
    error_columns,
    error_rows,
    indicator_columns,
    indicator_row_count,
    indicator_rows,
    period_columns,
    period_names,
    period_rows,
)

MEDIA_TYPE = XLSX_MEDIA_TYPE


def _team_groups(ev: Evaluation) -> list[tuple[Any, list[int]]]:
    """Row indices per team, as the reports order teams: by name, then rows without a team."""
    groups: dict[Any, list[int]] = {}
    for i, team in enumerate(ev.result.team.tolist() if len(ev.result.team) else [None] * ev.result.n):
        groups.setdefault(team, []).append(i)
    named = sorted((k for k in groups if k is not None), key=str)
    return [(k, groups[k]) for k in [*named, *([None] if None in groups else [])]]


def _figures(ev: Evaluation, groups: Sequence[Sequence[int]], finals: list[Any]) -> list[dict[str, Any]]:
    """The overview figures of groups of rows, computed as the reports compute them (results/figures)."""
    res = ev.result
    status = res.status.tolist()
    grade = res.grade.tolist() if len(res.grade) else [None] * res.n
    rated = [[i for i in rows if status[i] == "rated"] for rows in groups]
    spreads = final_figures_of_groups([[float(finals[i]) for i in r if finals[i] is not None] for r in rated],
                                      ev.policy.decimals)
    levels = [(g.grade, g.label) for g in ev.policy.grades]
    out = []
    for rows, mine, spread in zip(groups, rated, spreads):
        statuses = [status[i] for i in rows]
        out.append({"rows": len(rows), "headcount": len(mine), "not_rated": statuses.count("not_rated"),
                    "error": statuses.count("error"), **spread,
                    "grades": grade_counts(levels, [grade[i] for i in mine])})
    return out


class Summary:
    """The Summary sheet: label-value lines and small tables, one after another."""

    def __init__(self, book: Book, t: Labels) -> None:
        self.book, self.t = book, t
        self.sheet = book.sheet(t["sheet_summary"])
        self.row = 0
        self.widths: list[int] = [0] * 12

    def line(self, *values: Any, fmt: Any = None, kinds: Sequence[str] = ()) -> None:
        for col, value in enumerate(values):
            kind = kinds[col] if col < len(kinds) else xlsx_book.TEXT
            write_value(self.sheet, self.row, col, value, fmt if fmt is not None else self.book.formats[kind])
            if value is not None and fmt is not self.book.title:
                width = xlsx_book.NUMBER_WIDTHS.get(kind, 0) if isinstance(value, (int, float)) else text_width(
                    str(value))
                self.widths[col] = max(self.widths[col], min(width, 40))
        self.row += 1

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[Any]], kinds: Sequence[str]) -> None:
        for col, header in enumerate(headers):
            kind = kinds[col] if col < len(kinds) else xlsx_book.TEXT
            self.sheet.write_string(self.row, col, header,
                                    self.book.header if kind == xlsx_book.TEXT else self.book.header_number)
            self.widths[col] = max(self.widths[col], min(text_width(header), 40))
        self.row += 1
        for values in rows:
            self.line(*values, kinds=kinds)
        self.row += 1

    def close(self) -> None:
        for col, width in enumerate(self.widths):
            self.sheet.set_column(col, col, max(xlsx_book.MIN_WIDTH, width + 2))


Teams = list[tuple[Any, dict[str, Any]]]


def _write_summary(book: Book, ev: Evaluation, t: Labels, split: list[str], long_rows: int,
                   finals: list[Any], teams: Teams | None) -> None:
    s, policy, summary = Summary(book, t), ev.policy, ev.result.summary()
    s.line(policy.title, fmt=book.title)
    for key, value in [("policy_id", policy.id), ("version", policy.version), ("sha256", policy.sha256),
                       ("period", ev.period or "—"), ("kind", t[f"kind_{ev.kind}"]),
                       ("data_file", Path(ev.table.file).name), ("data_sha256", ev.table.sha256)]:
        s.line(t[key], value)
    for key in ("rows", "rated", "not_rated", "error"):
        s.line(t["rows_in_period" if key == "rows" else "errors" if key == "error" else key], summary[key],
               kinds=(xlsx_book.TEXT, INT))
    if ev.other_periods:
        s.line(t["other_periods"], t["list_sep"].join(t.fill("period_rows", period=period, rows=n)
                                                      for period, n in sorted(ev.other_periods.items())))
    for note in ev.table.notes:
        s.line(t["data_notes"], note)
    if ev.kind == "rollup":
        s.line(t["indicators"], t["rollup_no_indicators"])
    elif len(split) > 1:
        s.line(t["indicators"], t.fill("indicators_split", rows=long_rows, sheets=t["list_sep"].join(split),
                                        limit=xlsx_book.MAX_ROWS - 1))
    if teams is None:  # one person's own workbook: no averages, distribution or team overview
        s.close()
        return
    s.row += 1
    department = _figures(ev, [range(ev.result.n)], finals)[0]
    s.line(t["department_overview"], fmt=book.bold)
    s.table([t["figure"], t["value"]], [(t[k], department[k]) for k in
                                         ("mean_final", "median_final")] + [
        (t["lowest"], department["min_final"]), (t["highest"], department["max_final"])], (xlsx_book.TEXT, SCORE))
    s.line(t["grade_distribution"], fmt=book.bold)
    s.table([t["grade"], t["grade_label"], t["people"], t["share"]],
            [(g["grade"], g["label"], g["count"], g["share"]) for g in department["grades"]],
            (xlsx_book.TEXT, xlsx_book.TEXT, INT, PERCENT))
    _write_quotas(s, ev, t)
    grades = [g.grade for g in policy.grades]
    s.line(t["sec_overview"], fmt=book.bold)
    rows = []
    for team, f in teams:
        rows.append((t["no_team"] if team is None else team, f["headcount"], f["mean_final"], f["median_final"],
                     *[g["count"] for g in f["grades"]]))
    s.table([t["team"], t["headcount"], t["mean_final"], t["median_final"], *grades], rows,
            (xlsx_book.TEXT, INT, SCORE, SCORE, *[INT] * len(grades)))
    s.close()


def _write_quotas(s: Summary, ev: Evaluation, t: Labels) -> None:
    dist = ev.result.distribution
    if not dist or ev.policy.distribution is None:
        return
    s.line(t["distribution"], fmt=s.book.bold)
    s.line(t.fill("dist_summary", scope=t[f"scope_{dist['scope']}"], mode=t[f"mode_{dist['mode']}"],
                  min_group=t.fill("min_group", n=dist["min_group_size"])))
    rows = []
    for g in dist["groups"]:
        label = t["department"] if dist["scope"] == "all" else g["group"]
        for q in quota_checks(g["quotas"], [grade.grade for grade in ev.policy.grades]):
            verdict = (t["met"] if q["ok"] else t["not_met"]) if q["rule"] == "min" else (
                t["within_quota"] if q["ok"] else t["over_quota"])
            rows.append((label, g["size"], q["grade"], t.fill(f"rule_{q['rule']}", share=f"{q['share']:.0%}"),
                         q["share"], q["places"], q["holders"], q["moved"], verdict))
    s.table([t["team"], t["headcount"], t["grade"], t["rule"], t["share"], t["places"], t["holders"], t["moved"],
             t["result"]], rows, (xlsx_book.TEXT, INT, xlsx_book.TEXT, xlsx_book.TEXT, PERCENT, INT, INT, INT))


def _write_teams(book: Book, ev: Evaluation, t: Labels, teams: Teams) -> None:
    team_results = {entry["team"]: entry for entry in ev.result.teams}
    team_indicators = ev.policy.team.indicators if ev.policy.team and ev.result.teams else ()
    grades = [g.grade for g in ev.policy.grades]
    columns = [Column(t["team"]), Column(t["members"], INT), Column(t["headcount"], INT),
               Column(t["not_rated"], INT), Column(t["errors"], INT), Column(t["mean_final"], SCORE),
               Column(t["median_final"], SCORE), Column(t["lowest"], SCORE), Column(t["highest"], SCORE),
               *[Column(g, INT) for g in grades]]
    if team_results:
        columns += [Column(t["team_score"], SCORE), Column(t["coefficient"], SCORE)]
        for ind in team_indicators:
            columns += [Column(t.fill("paren", label=ind.plan.label or ind.id, detail=t["actual"]), xlsx_book.NUMBER),
                        Column(t.fill("paren", label=ind.plan.label or ind.id, detail=t["score"]), SCORE)]
    table = Table(book, t["sheet_teams"], columns)
    rows = []
    for team, f in teams:
        row = [t["no_team"] if team is None else team, f["rows"], f["headcount"], f["not_rated"], f["error"],
               f["mean_final"], f["median_final"], f["min_final"], f["max_final"], *[g["count"] for g in f["grades"]]]
        if team_results:
            entry = team_results.get(team, {})
            row += [entry.get("team_score"), entry.get("coefficient")]
            for ind in team_indicators:
                values = entry.get("indicators", {}).get(ind.id, {})
                row += [values.get("actual"), values.get("score")]
        rows.append(row)
    table.write_rows(rows)
    table.close()


def _long_sheet_names(t: Labels, rows: int) -> list[str]:
    per_sheet = xlsx_book.MAX_ROWS - 1
    count = max(1, -(-rows // per_sheet))
    name = t["sheet_indicators"]
    return [name] + [t.fill("sheet_numbered", name=name, n=k) for k in range(2, count + 1)]


def _write_indicators(book: Book, ev: Evaluation, t: Labels, names: list[str]) -> None:
    """The long form, continued on the next numbered sheet when one is full."""
    rows = indicator_rows(ev, t)
    for name in names:
        table = Table(book, name, indicator_columns(t), freeze_cols=1)
        table.write_rows(islice(rows, table.rows_left))
        table.close()


def _write_table(book: Book, name: str, columns: list[Column], rows: Iterable[Sequence[Any]], freeze: int) -> None:
    table = Table(book, name, columns, freeze_cols=freeze)
    table.write_rows(rows)
    table.close()


def write_xlsx(ev: Evaluation, out: BinaryIO | str, own_only: bool = False) -> None:
    """The workbook of one evaluation, written to a binary file (or a path). `own_only`: one
    person's own figures (an employee's), without averages, grade distribution or team sheets."""
    t = Labels(ev.policy.locale)
    res = ev.result
    finals = shown_column(res.final, res.decimals) if len(res.final) else [None] * res.n
    long_rows = indicator_row_count(ev) if ev.kind != "rollup" else 0
    split = _long_sheet_names(t, long_rows) if ev.kind != "rollup" else []
    groups = _team_groups(ev)
    teams = list(zip([team for team, _ in groups], _figures(ev, [rows for _, rows in groups], finals)))
    book = Book(out, title=ev.policy.title)
    with no_gc_pauses():
        _write_summary(book, ev, t, split, long_rows, finals, None if own_only else teams)
        _write_table(book, t["sheet_employees"], employee_columns(ev, t), employee_rows(ev, t), 2)
        if ev.kind != "rollup":
            _write_indicators(book, ev, t, split)
        else:
            periods = period_names(res)
            _write_table(book, t["sheet_periods"], period_columns(periods, t), period_rows(ev, periods, t), 2)
        if not own_only:
            _write_teams(book, ev, t, teams)
        _write_table(book, t["sheet_errors"], error_columns(t), error_rows(ev, t), 1)
    book.close()


__all__ = ["MEDIA_TYPE", "write_xlsx"]
