"""Review reports: the report context (figures computed in Python) rendered
through Jinja templates into Markdown and self-contained HTML."""

from __future__ import annotations

import re
from pathlib import Path

from ..engine import Evaluation
from .context import employee_context, report_context
from .environment import ReportTemplateError, render

__all__ = ["ReportTemplateError", "employee_context", "render_employee_sheets", "render_html", "render_markdown",
           "report_context", "sheet_filename"]

TemplateDir = str | Path | None


def render_markdown(evaluation: Evaluation, template_dir: TemplateDir = None, timestamp: str | None = None) -> str:
    """The whole report as GitHub-flavoured Markdown (`report.md.j2`)."""
    return render("md", "report.md.j2", report_context(evaluation, timestamp), template_dir)


def render_html(evaluation: Evaluation, template_dir: TemplateDir = None, timestamp: str | None = None) -> str:
    """The whole report as one self-contained HTML file (`report.html.j2`)."""
    return render("html", "report.html.j2", report_context(evaluation, timestamp), template_dir)


def render_employee_sheets(evaluation: Evaluation, fmt: str, template_dir: TemplateDir = None,
                           timestamp: str | None = None) -> dict[str, str]:
    """One review sheet per employee id (`employee.md.j2` / `employee.html.j2`): id -> text."""
    context = report_context(evaluation, timestamp)
    ids = dict.fromkeys(str(p["employee_id"]) for p in context["people"] if p["employee_id"] is not None)
    return {emp: render(fmt, f"employee.{fmt}.j2", employee_context(context, emp), template_dir) for emp in ids}


MAX_STEM_BYTES = 200


def sheet_filename(employee_id: str, taken: set[str]) -> str:
    """A safe file stem for an employee id (no path separators, no leading dot), unique among `taken`."""
    stem = re.sub(r"[^\w.-]", "_", employee_id).lstrip(".") or "_"
    # File names hold at most 255 bytes: keep room for `~2` and the extension.
    stem = stem.encode("utf-8")[:MAX_STEM_BYTES].decode("utf-8", errors="ignore")
    name, n = stem, 1
    while name.lower() in taken:
        n += 1
        name = f"{stem}~{n}"
    taken.add(name.lower())
    return name
