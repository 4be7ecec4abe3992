"""`kpi-rules diff`: what a policy change does to each person's score and grade."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kpi_rules.cli import main
from kpi_rules.cli.calibration_options import calibration_option, fail_on_calibration, read_calibrations
from kpi_rules.cli.data_options import data_options, fail, read_raw
from kpi_rules.data.raw import DataFileError
from kpi_rules.diff.compare import DiffError, Version, diff_policies, read_file_version, read_git_version
from kpi_rules.diff.render import RENDERERS
from kpi_rules.engine import PeriodChoiceError
from kpi_rules.policy.calibration import CalibrationInvalid
from kpi_rules.writers.problems import REPORTERS


def _versions(paths: tuple[Path, ...], base: str | None) -> tuple[Version, Version]:
    if base is not None:
        if len(paths) != 1:
            raise click.UsageError("with --base, give exactly one POLICY: kpi-rules diff POLICY --base REV --data FILE")
        return read_git_version(paths[0], base), read_file_version(paths[0])
    if len(paths) != 2:
        raise click.UsageError("give OLD and NEW policy files, or one POLICY with --base REV")
    return read_file_version(paths[0]), read_file_version(paths[1])


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
                metavar="OLD NEW | POLICY")
@click.option("--base", metavar="GIT_REV",
              help="Compare POLICY with its version in this git commit (e.g. HEAD~1, origin/main).")
@data_options
@click.option("--period", help="The period to compare, e.g. 2024-Q2 (needed when the data holds several).")
@click.option("--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="text", show_default=True,
              help="text for a terminal, md for a pull-request comment, json for tools.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True,
              help="List at most this many changed employees (text and md).")
@click.option("--fail-on-grade-change", is_flag=True, help="Exit 1 when any employee's grade changes.")
@calibration_option
def diff(paths: tuple[Path, ...], base: str | None, data_files: tuple[Path, ...], data_format: str | None,
         encoding: str | None, sheet: str | None, header_rows: tuple[int, ...], columns: tuple[str, ...],
         period: str | None, fmt: str, limit: int, fail_on_grade_change: bool,
         calibration_files: tuple[Path, ...] = ()) -> None:
    """Show what a policy change does to people: both versions on the same data.

    Reports the grade transition matrix, every employee whose grade or final
    score changes (largest change first), the mean, median and largest score
    change per role and team, the pay-coefficient sum before and after, and
    the policy fields that changed. With --calibration, both versions are
    also calibrated and the calibration's effects are listed apart from the
    policy's (which compare uncalibrated grades). Exit status: 0 (also when grades change),
    1 with --fail-on-grade-change when a grade changes or when a version is
    invalid, 2 usage error.

    \b
    Examples:
      kpi-rules diff old.yaml policies/ops-department.yaml --data examples/ops-2024.csv --period 2024-Q2
      kpi-rules diff policies/ops-department.yaml --base HEAD~1 --data examples/ops-2024.csv --period 2024-Q2
      kpi-rules diff policies/ops-department.yaml --base origin/main --data data.csv --format md > comment.md
      kpi-rules diff old.yaml new.yaml --data q1.csv --data q2.csv --data q3.csv --data q4.csv --period 2024
    """
    try:
        old, new = _versions(paths, base)
    except DiffError as exc:
        raise click.UsageError(str(exc)) from exc
    invalid = [v.validation for v in (old, new) if not v.validation.ok]
    if invalid:
        click.echo(REPORTERS["text"](invalid), err=True, nl=False)
        sys.exit(1)
    calibrations = read_calibrations(calibration_files)
    raw = read_raw(data_files, data_format, encoding, sheet, header_rows, columns)
    try:
        result = diff_policies(old, new, raw, period, calibrations)
    except DataFileError as exc:
        fail(exc)
    except PeriodChoiceError as exc:
        raise click.UsageError(exc.told("--period")) from exc
    except CalibrationInvalid as exc:
        fail_on_calibration(exc, calibrations)
    click.echo(RENDERERS[fmt](result, limit), nl=False)
    sys.exit(1 if fail_on_grade_change and result.grade_changes else 0)
