"""`kpi-rules evaluate` and `kpi-rules explain`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from kpi_rules.cli import main
from kpi_rules.cli.calibration_options import calibration_option, fail_on_calibration, read_calibrations
from kpi_rules.cli.data_options import data_options, input_paths, read_data
from kpi_rules.cli.report_options import (
    REPORT_FORMATS,
    check_report_options,
    fail_on_template_error,
    render_kwargs,
    report_options,
    write_employee_sheets,
)
from kpi_rules.common.perf import settle_loaded_data
from kpi_rules.common.text import visible
from kpi_rules.engine import Evaluation, PeriodChoiceError
from kpi_rules.engine import evaluate as run_evaluation
from kpi_rules.policy.calibration import CalibrationInvalid
from kpi_rules.policy.compiler import compile_policy
from kpi_rules.policy.problems import PolicyFileError
from kpi_rules.policy.validate import validate_file
from kpi_rules.writers import WRITERS
from kpi_rules.writers.atomic import atomic_writer, write_atomic
from kpi_rules.writers.problems import REPORTERS

FORMATS = tuple(sorted([*WRITERS, *REPORT_FORMATS]))  # also each one's file extension


@main.command()
@click.argument("policy", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@data_options
@click.option("--period", help="The period to evaluate, e.g. 2024-Q2; a roll-up period (2024) gives the annual review.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True,
              help="Output format.")
@click.option("--out", "out", type=click.Path(),
              help="Write here instead of standard output: a file, or a folder (then <policy>-<period>.<format>); "
                   "`-` is standard output.")
@click.option("--excel", is_flag=True,
              help="csv: begin the file with a UTF-8 byte order mark, so that Excel shows names in any script "
                   "(off by default: other programs read plain UTF-8).")
@calibration_option
@report_options
def evaluate(policy: Path, data_files: tuple[Path, ...], data_format: str | None, encoding: str | None,
             sheet: str | None, header_rows: tuple[int, ...], columns: tuple[str, ...], period: str | None, fmt: str,
             out: str | None, excel: bool = False, calibration_files: tuple[Path, ...] = (),
             template_dir: Path | None = None, timestamp: bool = False, per_employee: bool = False,
             team_distribution: bool = True) -> None:
    """Score a period's data: indicators, totals, grades, with reasons for every row.

    Every input row comes out as rated, not_rated or error, with its reason.
    Exit status: 0 when every input row is rated or not rated, 1 when some input
    rows are errors (they are still in the output; in an annual review, in each
    employee's `periods`) or the policy is invalid, 2 on usage errors, 130 on
    Ctrl-C and 143 on SIGTERM (the file being written is removed), 141 (silent)
    when standard output is closed early (`| head`).

    \b
    Examples:
      kpi-rules evaluate policies/ops-department.yaml --data examples/ops-2024.csv --period 2024-Q2
      kpi-rules evaluate policies/ops-department.yaml --data examples/ops-2024.csv --period 2024 --out reports/
      kpi-rules evaluate policies/ops-department.yaml --data data.csv --format csv --excel --out results.csv
      kpi-rules evaluate policies/ops-department.yaml --data q1.csv --data q2.csv --data q3.csv --data q4.csv \\
          --period 2024
      cat data.csv | kpi-rules evaluate policies/ops-department.yaml --data - --data-format csv --out -
      kpi-rules evaluate policies/ops-department.yaml --data examples/ops-2024.csv --period 2024-Q2 \\
          --format html --out reports/ --per-employee
      kpi-rules evaluate policies/ops-department.yaml --data examples/ops-2024.csv --period 2024-Q2 \\
          --calibration examples/ops-2024-Q2.calibration.yaml
    """
    out = None if out == "-" else out
    check_report_options(fmt, out, template_dir, timestamp, per_employee, team_distribution)
    if excel and fmt != "csv":
        raise click.UsageError("--excel is for --format csv (a byte order mark for Excel)")
    if out is None and fmt in WRITERS and not WRITERS[fmt].terminal and _stdout_is_terminal():
        raise click.UsageError(f"--format {fmt} writes a binary file, not text for a terminal: "
                               f"give --out FILE (or a folder), or redirect standard output to a file")
    evaluation = _evaluate(policy, read_data_args(data_files, data_format, encoding, sheet, header_rows, columns),
                           period, calibration_files)

    options = render_kwargs(fmt, template_dir, timestamp)
    summary = evaluation.result.summary()
    target = None
    try:
        if out is not None:
            folder = out.endswith(("/", os.sep)) or Path(out).is_dir()
            name = f"{evaluation.policy.id}-{evaluation.period}" if evaluation.period else evaluation.policy.id
            target = Path(out) / f"{name}.{fmt}" if folder else Path(out)
            _refuse_overwriting_inputs(target, policy, *input_paths(data_files))
        _write(evaluation, fmt, target, options, per_employee, excel, team_distribution)
    except OSError as exc:  # a full disk, a name too long, a folder that is a file...
        where = exc.filename or target or out or "standard output"
        click.echo(f"error: cannot write {where}: {exc.strerror or exc}", err=True)
        sys.exit(1)
    what = "employees" if evaluation.kind == "rollup" else "rows"
    click.echo(f"{evaluation.period or 'rows without a period'}: {summary['rows']} {what}: {summary['rated']} rated, "
               f"{summary['not_rated']} not rated, {summary['error']} errors; "
               f"{evaluation.error_rows} input rows with errors", err=True)
    sys.exit(1 if evaluation.error_rows else 0)


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _refuse_overwriting_inputs(target: Path, *inputs: Path) -> None:
    for given in inputs:
        if target.exists() and target.resolve() == given.resolve():
            raise click.UsageError(f"--out {target} is the input file {given}; write the results elsewhere")


def _write(evaluation: Evaluation, fmt: str, target: Path | None, options: dict[str, Any],
           per_employee: bool, excel: bool = False, team_distribution: bool = True) -> None:
    if fmt in WRITERS:
        # Results are written as they are encoded, never held whole in memory.
        write, binary = WRITERS[fmt].write, WRITERS[fmt].binary
        if target is None:
            stream = sys.stdout.buffer if binary else sys.stdout
            if excel:
                sys.stdout.write("\ufeff")
            write(evaluation, stream)
            stream.flush()
        else:
            with atomic_writer(target, binary=binary) as handle:
                if excel:
                    handle.write("\ufeff")
                write(evaluation, handle)
    else:
        from kpi_rules.report import ReportTemplateError, render_html, render_markdown  # Jinja: for reports only

        render = render_markdown if fmt == "md" else render_html
        try:
            text = render(evaluation, **options)
        except ReportTemplateError as exc:
            fail_on_template_error(exc)
        if target is None:
            click.echo(text, nl=False)
        else:
            write_atomic(target, text)
    if target is not None:
        click.echo(f"wrote {target}", err=True)
        if per_employee:
            write_employee_sheets(evaluation, fmt, target.parent / "employees", options, team_distribution)


DataArgs = tuple[tuple[Path, ...], str | None, str | None, str | None, tuple[int, ...], tuple[str, ...]]


def read_data_args(data_files: tuple[Path, ...], data_format: str | None, encoding: str | None, sheet: str | None,
                   header_rows: tuple[int, ...], columns: tuple[str, ...]) -> DataArgs:
    return data_files, data_format, encoding, sheet, header_rows, columns


def _evaluate(policy: Path, data: DataArgs, period: str | None, calibration_files: tuple[Path, ...] = ()
              ) -> Evaluation:
    try:
        validation = validate_file(policy)
    except PolicyFileError as exc:
        click.echo(f"error: {visible(str(exc))}", err=True)
        sys.exit(1)
    if validation.errors:
        click.echo(REPORTERS["text"]([validation]), err=True, nl=False)
        sys.exit(1)
    compiled = compile_policy(validation)
    calibrations = read_calibrations(calibration_files)
    table = read_data(compiled, *data)
    settle_loaded_data()
    try:
        evaluation = run_evaluation(compiled, table, period, calibrations)
    except PeriodChoiceError as exc:
        raise click.UsageError(exc.told("--period")) from exc
    except CalibrationInvalid as exc:
        fail_on_calibration(exc, calibrations)
    return evaluation


@main.command()
@click.argument("policy", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@data_options
@click.option("--employee", "employee_id", required=True, help="The employee id to explain, e.g. E001.")
@click.option("--period", help="The period, e.g. 2024-Q2 (or 2024 for the annual review).")
@calibration_option
@click.option("--lang", "lang", type=click.Choice(["en", "zh-CN"]), default=None,
              help="The explanation's language, en or zh-CN (default: the policy's); labels stay as the policy "
                   "writes them.")
def explain(policy: Path, data_files: tuple[Path, ...], data_format: str | None, encoding: str | None,
            sheet: str | None, header_rows: tuple[int, ...], columns: tuple[str, ...], employee_id: str,
            period: str | None, calibration_files: tuple[Path, ...] = (), lang: str | None = None) -> None:
    """Show one employee's calculation step by step, in the policy's language (or --lang's).

    \b
    Examples:
      kpi-rules explain policies/ops-department.yaml --data examples/ops-2024.csv --period 2024-Q2 --employee E001
      kpi-rules explain policies/ops-department.yaml --data examples/ops-2024.csv --period 2024-Q2 \\
        --employee E025 --lang en
    """
    from kpi_rules.explanation.person import EmployeeNotFound
    from kpi_rules.explanation.person import explain as explain_lines

    evaluation = _evaluate(policy, read_data_args(data_files, data_format, encoding, sheet, header_rows, columns),
                           period, calibration_files)
    try:
        lines = explain_lines(evaluation, employee_id, lang)
    except EmployeeNotFound as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo("\n".join(lines).rstrip("\n"))
