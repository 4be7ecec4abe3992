"""Review reports in Markdown and HTML: the public entry points.

The work is done in `kpi_rules.report` (context, charts, labels, Jinja
environment); this module is where the CLI and other callers import from.
"""

from __future__ import annotations

from .report import (
    ReportTemplateError,
    employee_context,
    render_employee_sheets,
    render_html,
    render_markdown,
    report_context,
    sheet_filenames,
)

__all__ = ["ReportTemplateError", "employee_context", "render_employee_sheets", "render_html", "render_markdown",
           "report_context", "sheet_filenames"]
