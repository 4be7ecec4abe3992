"""The command line: the only module that prints or exits."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from . import __version__
from .compiler import compile_policy
from .data import type_table
from .engine import PeriodChoiceError, evaluate as run_evaluation
from .output import to_csv, to_json, write_atomic
from .readers import DataFileError, read_table
from .reporters import REPORTERS
from .resources import load_schema
from .validate import policy_files, validate_file

SCHEMAS = {"policy": "policy.schema.json"}


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="kpi-rules")
def main() -> None:
    """kpi-rules: employee appraisal policy as code.

    Validate YAML appraisal policies, evaluate them against a period's data,
    and explain every score line by line.

    \b
    Examples:
      kpi-rules validate policies/
      kpi-rules validate --format github --strict policies/ops-department.yaml
      kpi-rules schema > policy.schema.json
    """


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True,
              help="Report format: text for people, github for Actions annotations, junit/sarif for CI tools.")
@click.option("--strict", is_flag=True, help="Warnings fail validation too.")
def validate(paths: tuple[Path, ...], fmt: str, strict: bool) -> None:
    """Check policy files against the schema and the semantic checks.

    PATHS are policy files or folders (searched for *.yaml / *.yml);
    default: policies/. Exit status: 0 valid, 1 invalid, 2 usage error.

    \b
    Examples:
      kpi-rules validate                      # every policy under policies/
      kpi-rules validate policies/ops-department.yaml
      kpi-rules validate --format json policies/ > problems.json
    """
    if not paths:
        default = Path("policies")
        if not default.is_dir():
            raise click.UsageError("no PATHS given and there is no policies/ folder here")
        paths = (default,)
    files = list(policy_files(paths))
    if not files:
        raise click.UsageError("no policy files (*.yaml, *.yml) found in " + ", ".join(map(str, paths)))
    results = [validate_file(f) for f in files]
    click.echo(REPORTERS[fmt](results), nl=False)
    failed = any(r.errors or (strict and r.warnings) for r in results)
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("name", type=click.Choice(sorted(SCHEMAS)), default="policy")
def schema(name: str) -> None:
    """Print a JSON Schema (default: the policy schema), for editors and other tools.

    \b
    Example (VS Code, yaml-language-server):
      kpi-rules schema > schemas/policy.schema.json
    """
    click.echo(json.dumps(load_schema(SCHEMAS[name]), ensure_ascii=False, indent=2))


FORMATS = {"json": (to_json, "json"), "csv": (to_csv, "csv")}


@main.command()
@click.argument("policy", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--data", "data_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The period's data: .csv, .json, .jsonl, .yaml or .xlsx, one row per employee and period.")
@click.option("--period", help="The period to evaluate, e.g. 2024-Q2; a roll-up period (2024) gives the annual review.")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="json", show_default=True,
              help="Output format.")
@click.option("--out", "out", type=click.Path(path_type=Path),
              help="Write here instead of standard output: a file, or a folder (then <policy>-<period>.<format>).")
@click.option("--encoding", help="Text encoding of a CSV file (default: UTF-8, else GB18030 as Chinese Excel saves).")
@click.option("--sheet", help="Sheet of an .xlsx file (default: the first).")
def evaluate(policy: Path, data_file: Path, period: str | None, fmt: str, out: Path | None,
             encoding: str | None, sheet: str | None) -> None:
    """Score a period's data: indicators, totals, grades, with reasons for every row.

    Every input row comes out as rated, not_rated or error, with its reason.
    Exit status: 0 when every row is rated or not rated, 1 when some rows are
    errors (they are still in the output) or the policy is invalid, 2 on usage errors.

    \b
    Examples:
      kpi-rules evaluate policies/ops-department.yaml --data examples/ops-2024.csv --period 2024-Q2
      kpi-rules evaluate policies/ops-department.yaml --data examples/ops-2024.csv --period 2024 --out reports/
      kpi-rules evaluate policies/ops-department.yaml --data data.csv --format csv --out results.csv
    """
    evaluation = _evaluate(policy, data_file, period, encoding, sheet)
    render, ext = FORMATS[fmt]
    text = render(evaluation)
    summary = evaluation.result.summary()
    if out is None:
        click.echo(text, nl=False)
    else:
        target = out / f"{evaluation.policy.id}-{evaluation.period}.{ext}" if out.is_dir() or str(out).endswith(
            ("/", os.sep)) else out
        write_atomic(target, text)
        click.echo(f"wrote {target}", err=True)
    click.echo(f"{evaluation.period}: {summary['rows']} rows: {summary['rated']} rated, "
               f"{summary['not_rated']} not rated, {summary['error']} errors", err=True)
    sys.exit(1 if summary["error"] else 0)


def _evaluate(policy: Path, data_file: Path, period: str | None, encoding: str | None, sheet: str | None) -> Any:
    validation = validate_file(policy)
    if validation.errors:
        click.echo(REPORTERS["text"]([validation]), err=True, nl=False)
        sys.exit(1)
    compiled = compile_policy(validation)
    try:
        table = type_table(compiled, read_table(data_file, encoding=encoding, sheet=sheet))
    except DataFileError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    for note in table.notes:
        click.echo(f"warning: {data_file}: {note}", err=True)
    try:
        return run_evaluation(compiled, table, period)
    except PeriodChoiceError as exc:
        raise click.UsageError(str(exc)) from exc


@main.command()
@click.argument("policy", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--data", "data_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The period's data file.")
@click.option("--employee", "employee_id", required=True, help="The employee id to explain, e.g. E001.")
@click.option("--period", help="The period, e.g. 2024-Q2 (or 2024 for the annual review).")
@click.option("--encoding", help="Text encoding of a CSV file.")
@click.option("--sheet", help="Sheet of an .xlsx file.")
def explain(policy: Path, data_file: Path, employee_id: str, period: str | None, encoding: str | None,
            sheet: str | None) -> None:
    """Show one employee's calculation step by step, in the policy's language.

    \b
    Example:
      kpi-rules explain policies/ops-department.yaml --data examples/ops-2024.csv --period 2024-Q2 --employee E001
    """
    from .explain import EmployeeNotFound, explain as explain_lines

    evaluation = _evaluate(policy, data_file, period, encoding, sheet)
    try:
        lines = explain_lines(evaluation, employee_id)
    except EmployeeNotFound as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo("\n".join(lines).rstrip("\n"))
