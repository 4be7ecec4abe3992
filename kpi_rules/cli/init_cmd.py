"""`kpi-rules init`: scaffold a policy repository."""

from __future__ import annotations

from pathlib import Path

import click

from kpi_rules.cli import main
from kpi_rules.scaffold.create import ScaffoldError, Settings, Source, running_source, scaffold


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), metavar="DIR")
@click.option("--force", is_flag=True,
              help="Write into DIR even if it is not empty (overwrites files of the same name).")
@click.option("--install", "install", metavar="REQUIREMENT",
              help="What CI and the pre-commit hooks pip-install, e.g. \"kpi-rules @ git+https://github.com/"
                   "kpi-rules/kpi-rules@<commit>\" (default: the kpi-rules running this command).")
def init(directory: Path, force: bool, install: str | None) -> None:
    """Create a policy repository in DIR: a starter policy, sample data,
    passing test cases, pre-commit hooks, a CI workflow and a README for HR.

    CI and the hooks install the kpi-rules running this command (its version,
    or the git commit or URL it was installed from) unless --install says otherwise.

    \b
    Example:
      kpi-rules init hr-policies && cd hr-policies && git init
      kpi-rules validate && kpi-rules test --coverage
      kpi-rules init hr-policies --install "kpi-rules @ git+https://github.com/kpi-rules/kpi-rules@main"
    """
    if install is not None and (not install.strip() or any(c in install for c in '"\\\n\r')):
        raise click.BadParameter("give one pip requirement without quotes or backslashes, e.g. kpi-rules==0.2.0 "
                                 "or \"kpi-rules @ git+https://github.com/kpi-rules/kpi-rules@<commit>\"",
                                 param_hint="--install")
    source = Source(install.strip()) if install is not None else running_source()
    try:
        written = scaffold(directory, force, Settings(source))
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from exc
    for path in written:
        click.echo(f"created {path}")
    click.echo(f"\nCI and the pre-commit hooks install: {source.spec}")
    if source.local is not None:
        click.echo(f"warning: this kpi-rules was installed from {source.local}, which CI cannot reach: check that "
                   f"{source.spec} is on your package index, or run init again with --install (see docs/ci.md)",
                   err=True)
    click.echo(f"\nNext: cd {directory} && git init && kpi-rules validate && kpi-rules test --coverage")
