"""Review reports: the report context (figures computed in Python) rendered
through Jinja templates into Markdown and self-contained HTML."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from kpi_rules.common.perf import no_gc_pauses
from kpi_rules.engine import Evaluation
from kpi_rules.report.compact import add_table_rows
from kpi_rules.report.context import employee_context, report_context, sheet_index
from kpi_rules.report.environment import ReportTemplateError, render

__all__ = ["ReportTemplateError", "employee_context", "iter_employee_sheets", "render_employee_sheets", "render_html",
           "render_markdown", "report_context", "sheet_filenames", "sheet_folder"]

TemplateDir = str | Path | None


def _context(evaluation: Evaluation, fmt: str, template_dir: TemplateDir, timestamp: str | None) -> dict[str, Any]:
    """The report's context; with the default templates, compact (above DETAIL_LIMIT people one line each)
    and with the per-team tables' rows printed in Python (`compact.add_table_rows`)."""
    context = report_context(evaluation, timestamp, compact=template_dir is None)
    if template_dir is None:
        add_table_rows(context, fmt)
    return context


def _render(fmt: str, template: str, evaluation: Evaluation, template_dir: TemplateDir,
            timestamp: str | None) -> str:
    """In the command line's one run, without the cyclic collector's passes over the result's rows
    (a third of a large report's time; `no_gc_pauses` leaves a library call's collector alone), except
    while a user's template runs."""
    with no_gc_pauses():
        context = _context(evaluation, fmt, template_dir, timestamp)
        if template_dir is None:
            return render(fmt, template, context)
    return render(fmt, template, context, template_dir)


def render_markdown(evaluation: Evaluation, template_dir: TemplateDir = None, timestamp: str | None = None) -> str:
    """The whole report as GitHub-flavoured Markdown (`report.md.j2`)."""
    return _render("md", "report.md.j2", evaluation, template_dir, timestamp)


def render_html(evaluation: Evaluation, template_dir: TemplateDir = None, timestamp: str | None = None) -> str:
    """The whole report as one self-contained HTML file (`report.html.j2`)."""
    return _render("html", "report.html.j2", evaluation, template_dir, timestamp)


def iter_employee_sheets(evaluation: Evaluation, fmt: str, template_dir: TemplateDir = None,
                         timestamp: str | None = None, team_distribution: bool = True,
                         team_section: bool = True) -> Iterator[tuple[str, str]]:
    """(employee id, text) of one review sheet per employee, each rendered when asked for
    (`employee.md.j2` / `employee.html.j2`). `team_distribution=False` leaves out the team's
    grade distribution (in a small team it tells colleagues' grades); `team_section=False` the team's
    section altogether (only the person's own figures)."""
    context = report_context(evaluation, timestamp)
    ids = dict.fromkeys(str(p["employee_id"]) for p in context["people"] if p["employee_id"] is not None)
    index = sheet_index(context)
    for emp in ids:
        sheet = employee_context(context, emp, team_distribution=team_distribution, team_section=team_section,
                                 index=index)
        yield emp, render(fmt, f"employee.{fmt}.j2", sheet, template_dir)


def render_employee_sheets(evaluation: Evaluation, fmt: str, template_dir: TemplateDir = None,
                           timestamp: str | None = None, team_distribution: bool = True,
                           team_section: bool = True) -> dict[str, str]:
    """One review sheet per employee id: id -> text (see iter_employee_sheets)."""
    return dict(iter_employee_sheets(evaluation, fmt, template_dir, timestamp, team_distribution, team_section))


def sheet_folder(period: str | None) -> str:
    """The folder under `employees/` that holds one period's sheets: the period (`2024-Q1`, `2024`),
    so sheets of different periods never mix; `no-period` when the data names none."""
    return _safe_stem(period) if period else "no-period"


MAX_STEM_BYTES = 200


def _safe_stem(employee_id: str) -> str:
    """No path separators, no leading dot, and at most 200 bytes (file names hold 255: room is
    left for `~2` and the extension)."""
    stem = re.sub(r"[^\w.-]", "_", employee_id).lstrip(".") or "_"
    return stem.encode("utf-8")[:MAX_STEM_BYTES].decode("utf-8", errors="ignore")


def sheet_filenames(employee_ids: Iterable[str]) -> dict[str, str]:
    """A safe file stem per employee id, unique even on case-insensitive file systems. An id that
    is a safe name already keeps it exactly, so `a_b.md` is always employee `a_b`'s sheet; other
    ids are made safe and numbered (`a_b~2`) where they would meet a name already taken."""
    ids = list(dict.fromkeys(employee_ids))
    names: dict[str, str] = {}
    taken: set[str] = set()
    for employee_id in ids:
        if _safe_stem(employee_id) == employee_id and employee_id.lower() not in taken:
            names[employee_id] = employee_id
            taken.add(employee_id.lower())
    for employee_id in ids:
        if employee_id in names:
            continue
        stem = _safe_stem(employee_id)
        name, n = stem, 1
        while name.lower() in taken:
            n += 1
            name = f"{stem}~{n}"
        names[employee_id] = name
        taken.add(name.lower())
    return names
