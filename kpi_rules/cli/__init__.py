"""The command line: the only package that prints or exits.

Each command lives in a module of its own and registers on `main`.
"""

from __future__ import annotations

import click

from .. import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="kpi-rules")
def main() -> None:
    """kpi-rules: employee appraisal policy as code.

    Validate YAML appraisal policies, evaluate them against a period's data,
    and explain every score line by line.

    \b
    Examples:
      kpi-rules validate policies/
      kpi-rules evaluate policies/ops-department.yaml --data examples/ops-2024.csv --period 2024-Q2
      kpi-rules explain policies/ops-department.yaml --data examples/ops-2024.csv --period 2024-Q2 --employee E001
      kpi-rules schema > policy.schema.json
    """


from . import diff_cmd, evaluate_cmd, init_cmd, test_cmd, validate_cmd  # noqa: E402,F401  (registers the commands)

__all__ = ["main"]
