"""The command line: the only package that prints or exits.

Each command lives in a module of its own and registers on `main`.
"""

from __future__ import annotations

from importlib import import_module

import click

from kpi_rules.common.version import __version__

# Each command's module, imported only when that command runs (or help lists them all).
COMMANDS = {"validate": "validate_cmd", "schema": "validate_cmd", "evaluate": "evaluate_cmd",
            "explain": "evaluate_cmd", "test": "test_cmd", "diff": "diff_cmd", "init": "init_cmd",
            "serve": "serve_cmd", "token": "serve_cmd", "audit": "serve_cmd"}


class _Commands(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and name not in self.commands:
            import_module(f".{COMMANDS[name]}", __name__)  # registers its commands on `main`
        return super().get_command(ctx, name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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




def run() -> None:
    """The `kpi-rules` program: one command, then the process ends."""
    from kpi_rules.cli import signals
    from kpi_rules.common import perf

    perf.one_run()
    signals.install()
    try:
        main()
    except signals.Interrupted as stop:
        raise SystemExit(stop.exit_code) from None


__all__ = ["main", "run"]
