"""The public library API, for systems that use kpi-rules without the CLI.

    from kpi_rules import load_policy, load_data, evaluate, evaluation_to_dict

    policy = load_policy("policies/ops-department.yaml")      # raises PolicyInvalid with every problem
    table = load_data(policy, "examples/ops-2024.csv")         # raises DataFileError if unreadable
    result = evaluate(policy, table, "2024-Q2")                # pure: no I/O, no printing
    calibrated = evaluate(policy, table, "2024-Q2",            # grades changed in a calibration meeting
                          calibrations=[load_calibration("examples/ops-2024-Q2.calibration.yaml")])
    document = evaluation_to_dict(result)                      # POLICY_FORMAT section 3

Every name here is re-exported by `kpi_rules` itself; import from there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import orjson

from kpi_rules.common.errors import KpiRulesError
from kpi_rules.common.version import __version__
from kpi_rules.data.raw import DataFileError, records_table
from kpi_rules.data.several import DataSource, read_sources
from kpi_rules.data.table import Table, TableMismatch, type_table
from kpi_rules.engine import Evaluation, PeriodChoiceError, evaluate
from kpi_rules.explanation import EmployeeNotFound, explain
from kpi_rules.policy.calibration import Calibration, CalibrationInvalid, load_calibration
from kpi_rules.policy.compiler import compile_policy, load_policy
from kpi_rules.policy.model import Policy
from kpi_rules.policy.problems import PolicyFileError, PolicyInvalid, Problem, Severity
from kpi_rules.policy.validate import Validation, validate_bytes, validate_file
from kpi_rules.writers.results_csv import to_csv
from kpi_rules.writers.results_json import evaluation_to_dict, to_json


def load_data(policy: Policy, path: DataSource | Sequence[DataSource], *, encoding: str | None = None,
              sheet: str | None = None, columns: Mapping[str, str] | None = None, fmt: str | None = None,
              header_row: int | Sequence[int] = 1) -> Table:
    """Read a data file (.csv, .json, .jsonl, .yaml, .xlsx) and type it against the policy's inputs.

    `path` may be a list of files (four quarters) read as one table, and a file may be given as
    `(name, bytes)`. `columns` maps a name the policy uses to the file's header
    (`{"employee_id": "工号"}`); `encoding` as people write it (`ansi`, `gbk`; default: chosen from
    the bytes); `fmt` the format when the name has no extension; `header_row` the row holding the
    column names (one for every file, or a list with one per file). A file without rows raises
    DataFileError; bad cells do not raise: they make their row an error, with the reason."""
    one = isinstance(path, (str, Path)) or _one_in_memory(path)
    sources = [cast(DataSource, path)] if one else list(cast(Sequence[DataSource], path))
    raw = read_sources(sources, fmt=fmt, encoding=encoding, sheet=sheet, header_row=header_row, columns=columns)
    return type_table(policy, raw)


def load_bytes(policy: Policy, data: bytes, *, format: str | None = None, name: str = "data",
               encoding: str | None = None, sheet: str | None = None, columns: Mapping[str, str] | None = None,
               header_row: int = 1) -> Table:
    """A data file held in memory (an upload), typed against the policy's inputs, as `load_data`.

    `format` is one of csv, json, jsonl, yaml, xlsx; without it, `name`'s extension says
    (`name="march.xlsx"`). `name` is what messages and the results call the data."""
    raw = read_sources([(name, bytes(data))], fmt=format, encoding=encoding, sheet=sheet, header_row=header_row,
                       columns=columns)
    return type_table(policy, raw)


def load_records(policy: Policy, rows: Iterable[Mapping[str, Any]], *, name: str = "records",
                 columns: Mapping[str, str] | None = None) -> Table:
    """Rows already in memory (dicts from a database or a request), typed against the policy's inputs.

    Each row maps column names to values, as a JSON data file's records do; a row that is not a
    mapping is an error row. Messages say "line" N for the N-th row (from 1). The results' data
    sha256 is that of the rows written as JSON. No rows at all raises DataFileError, as an empty
    file does."""
    records = [dict(row) if isinstance(row, Mapping) else row for row in rows]
    if not records:
        raise DataFileError(f"{name}: no rows: there is nothing to evaluate")
    digest = hashlib.sha256(orjson.dumps(records, default=str, option=orjson.OPT_SORT_KEYS
                                         | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)).hexdigest()
    raw = records_table(name, digest, records, list(range(1, len(records) + 1)))
    raw.rename(dict(columns or {}))
    return type_table(policy, raw)


def _one_in_memory(path: object) -> bool:
    return isinstance(path, tuple) and len(path) == 2 and isinstance(path[0], str) and isinstance(path[1], bytes)


__all__ = [
    "Calibration",
    "CalibrationInvalid",
    "DataFileError",
    "EmployeeNotFound",
    "Evaluation",
    "KpiRulesError",
    "PeriodChoiceError",
    "PolicyFileError",
    "PolicyInvalid",
    "Problem",
    "Severity",
    "TableMismatch",
    "Validation",
    "__version__",
    "compile_policy",
    "evaluate",
    "evaluation_to_dict",
    "explain",
    "load_bytes",
    "load_calibration",
    "load_data",
    "load_policy",
    "load_records",
    "to_csv",
    "to_json",
    "validate_bytes",
    "validate_file",
]
