"""`kpi-rules init`: scaffold a policy repository."""

from __future__ import annotations

from pathlib import Path

import click

from kpi_rules.cli import main
from kpi_rules.scaffold.create import ScaffoldError, scaffold


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), metavar="DIR")
@click.option("--force", is_flag=True,
              help="Write into DIR even if it is not empty (overwrites files of the same name).")
def init(directory: Path, force: bool) -> None:
    """Create a policy repository in DIR: a starter policy, sample data,
    passing test cases, pre-commit hooks, a CI workflow and a README for HR.

    \b
    Example:
      kpi-rules init hr-policies && cd hr-policies && git init
      kpi-rules validate && kpi-rules test --coverage
    """
    try:
        written = scaffold(directory, force)
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from exc
    for path in written:
        click.echo(f"created {path}")
    click.echo(f"\nNext: cd {directory} && git init && kpi-rules validate && kpi-rules test --coverage")
