"""`kpi-rules validate` and `kpi-rules schema`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kpi_rules.cli import main
from kpi_rules.common.resources import load_schema
from kpi_rules.policy.calibration import validate_document
from kpi_rules.policy.problems import PolicyFileError
from kpi_rules.policy.validate import policy_files
from kpi_rules.writers.problems import REPORTERS

SCHEMAS = {"calibration": "calibration.schema.json", "policy": "policy.schema.json",
           "results": "results.schema.json", "testcases": "testcases.schema.json"}

@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True,
              help="Report format: text for people, github for Actions annotations, junit/sarif for CI tools.")
@click.option("--strict", is_flag=True, help="Warnings fail validation too.")
def validate(paths: tuple[Path, ...], fmt: str, strict: bool) -> None:
    """Check policy files against the schema and the semantic checks.

    PATHS are policy files or folders (searched for *.yaml / *.yml);
    default: policies/. A calibration file (`kind: Calibration`) is checked
    against its own schema. Exit status: 0 valid, 1 invalid, 2 usage error.

    \b
    Examples:
      kpi-rules validate                      # every policy under policies/
      kpi-rules validate policies/ops-department.yaml
      kpi-rules validate examples/ops-2024-Q2.calibration.yaml
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
    results, unreadable = [], []
    for f in files:
        try:
            results.append(validate_document(f))
        except PolicyFileError as exc:  # a file named but not readable (permissions, a device...)
            unreadable.append(str(exc))
    for message in unreadable:
        click.echo(f"error: {message}", err=True)
    report = REPORTERS[fmt](results, strict=True) if fmt == "junit" and strict else REPORTERS[fmt](results)
    click.echo(report, nl=False)
    failed = any(r.errors or (strict and r.warnings) for r in results)
    sys.exit(1 if failed or unreadable else 0)


@main.command()
@click.argument("name", type=click.Choice(sorted(SCHEMAS)), default="policy")
def schema(name: str) -> None:
    """Print a JSON Schema (default: the policy schema), for editors and other tools.

    \b
    Example (VS Code, yaml-language-server):
      kpi-rules schema > schemas/policy.schema.json
    """
    click.echo(json.dumps(load_schema(SCHEMAS[name]), ensure_ascii=False, indent=2))
