"""The report options of `kpi-rules evaluate` (--template-dir, --timestamp,
--per-employee) and the writing of per-employee review sheets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from kpi_rules.engine import Evaluation
from kpi_rules.writers.atomic import atomic_folder, write_atomic

if TYPE_CHECKING:
    from kpi_rules.report import ReportTemplateError

REPORT_FORMATS = ("md", "html")
F = TypeVar("F", bound=Callable[..., Any])


def report_options(command: F) -> F:
    """Add the report options to a click command."""
    options = [
        click.option("--template-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
                     help="md/html: templates that override the defaults (report.md.j2, report.html.j2, "
                          "employee.*.j2, partials/...); run sandboxed."),
        click.option("--timestamp", is_flag=True, help="md/html: print the current time in the report's header "
                                                       "(off by default, so reports are reproducible)."),
        click.option("--per-employee", is_flag=True,
                     help="md/html with --out DIR: also write DIR/employees/<period>/<employee_id>.<format>, one "
                          "review sheet per employee holding only that person's results and their team's figures; "
                          "the period's folder is replaced whole, never left half-written."),
        click.option("--no-team-distribution", "team_distribution", flag_value=False, default=True,
                     help="With --per-employee: leave the team's grade distribution out of the sheets (in a small "
                          "team it tells colleagues' grades)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def check_report_options(fmt: str, out: str | Path | None, template_dir: Path | None, timestamp: bool,
                         per_employee: bool, team_distribution: bool = True) -> None:
    if fmt not in REPORT_FORMATS:
        used = [name for name, on in (("--template-dir", template_dir), ("--timestamp", timestamp),
                                      ("--per-employee", per_employee)) if on]
        if used:
            raise click.UsageError(f"{', '.join(used)}: only for --format md or html")
    if per_employee and out is None:
        raise click.UsageError("--per-employee needs --out DIR (the sheets go to DIR/employees/<period>/)")
    if not team_distribution and not per_employee:
        raise click.UsageError("--no-team-distribution: only with --per-employee")


def render_kwargs(fmt: str, template_dir: Path | None, timestamp: bool) -> dict[str, Any]:
    """Keyword arguments for a report renderer; none for the other formats."""
    if fmt not in REPORT_FORMATS:
        return {}
    now = datetime.now().astimezone().isoformat(timespec="seconds") if timestamp else None
    return {"template_dir": template_dir, "timestamp": now}


def write_employee_sheets(evaluation: Evaluation, fmt: str, employees: Path, options: dict[str, Any],
                          team_distribution: bool = True) -> None:
    """Write one review sheet per employee into <out>/employees/<period>/, named by employee id.

    The sheets are written into a hidden folder beside it, renamed into place when all are
    written: an error or Ctrl-C leaves the previous sheets (or none), never half of them."""
    from kpi_rules.report import ReportTemplateError, iter_employee_sheets, sheet_filenames, sheet_folder  # Jinja

    folder = employees / sheet_folder(evaluation.period)
    count = 0
    try:
        with atomic_folder(folder) as tmp:
            sheets = iter_employee_sheets(evaluation, fmt, team_distribution=team_distribution, **options)
            ids = [str(r["employee_id"]) for r in evaluation.result.employees() if r["employee_id"] is not None]
            names = sheet_filenames(ids)
            for employee_id, text in sheets:
                write_atomic(tmp / f"{names[employee_id]}.{fmt}", text)
                count += 1
    except ReportTemplateError as exc:
        fail_on_template_error(exc)
    click.echo(f"wrote {count} review sheets to {folder}", err=True)


def fail_on_template_error(error: ReportTemplateError) -> NoReturn:
    click.echo(f"error: {error}", err=True)
    raise SystemExit(1)
