"""`kpi-rules test`: policy test cases, with coverage."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kpi_rules.cli import main
from kpi_rules.policytest import run_files, test_files
from kpi_rules.policytest.report import REPORTS, Run

DEFAULT_FOLDERS = (Path("tests/policies"), Path("policies"))


@main.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(sorted(REPORTS)), default="text", show_default=True,
              help="Report format: text for people, github for Actions annotations, junit for CI test views.")
@click.option("--coverage", "show_coverage", is_flag=True,
              help="Report which bands, grades, bonuses, deductions, vetoes and suggestions no case reached.")
@click.option("--threshold", type=click.FloatRange(0, 100), metavar="P",
              help="Fail when a policy's coverage is below P percent (implies --coverage).")
def test_command(paths: tuple[Path, ...], fmt: str, show_coverage: bool, threshold: float | None) -> None:
    """Run policy test cases: input rows and the results the policy must give.

    PATHS are test files (*.test.yaml) or folders searched for them; default:
    tests/policies/ and policies/. Each case prints PASS or FAIL (with expected
    and actual values); the last line is `N passed, M failed`.
    Exit status: 0 all passed, 1 a case failed, a file is invalid or coverage
    is below --threshold, 2 usage error.

    \b
    Examples:
      kpi-rules test
      kpi-rules test policies/ops-department.test.yaml --coverage
      kpi-rules test --format junit > policy-tests.xml
      kpi-rules test --coverage --threshold 90
    """
    if not paths:
        paths = tuple(d for d in DEFAULT_FOLDERS if d.is_dir())
    files = list(dict.fromkeys(test_files(paths)))
    if not files:
        where = ", ".join(map(str, paths)) if paths else "tests/policies/ or policies/ (neither exists here)"
        raise click.UsageError(f"no policy test files (*.test.yaml) found in {where}")
    results, coverage = run_files(files)
    run = Run(results)
    if show_coverage or threshold is not None:
        run.coverage = coverage.reports()
        run.threshold = threshold
        if threshold is not None:
            run.below = [r for r in run.coverage if r.percent + 1e-9 < threshold]
    click.echo(REPORTS[fmt](run), nl=False)
    sys.exit(0 if run.ok else 1)
