"""The library in four calls, for systems that use kpi-rules without the CLI.

    from kpi_rules import load_policy, load_data, evaluate, evaluation_to_dict

    policy = load_policy("policies/ops-department.yaml")      # raises PolicyInvalid with every problem
    table = load_data(policy, "examples/ops-2024.csv")         # raises DataFileError if unreadable
    result = evaluate(policy, table, "2024-Q2")                # pure: no I/O, no printing
    document = evaluation_to_dict(result)                      # POLICY_FORMAT section 3
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .data import Table, type_table
from .model import Policy
from .readers import read_table


def load_data(policy: Policy, path: str | Path, *, encoding: str | None = None, sheet: str | None = None,
              columns: Mapping[str, str] | None = None) -> Table:
    """Read a data file (.csv, .json, .jsonl, .yaml, .xlsx) and type it against the policy's inputs.

    `columns` maps a name the policy uses to the file's header (`{"employee_id": "工号"}`).
    Bad cells do not raise: they make their row an error, with the reason."""
    raw = read_table(path, encoding=encoding, sheet=sheet)
    raw.rename(dict(columns or {}))
    return type_table(policy, raw)
