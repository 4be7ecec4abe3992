"""Helpers for the engine tests: a policy from a short YAML string, rows from
a list of dicts, and the evaluation of one against the other.

`policy_yaml` fills in what every policy needs but few tests care about
(`apiVersion`, `kind`, `metadata`, `cycle`, `grades`) unless the text
already has it, so a test writes only the part it is about.
"""

from __future__ import annotations

import csv
import json
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

from kpi_rules.data.readers import read_table
from kpi_rules.data.table import Table, type_table
from kpi_rules.engine import Evaluation, evaluate
from kpi_rules.policy.compiler import compile_policy
from kpi_rules.policy.model import Policy
from kpi_rules.policy.validate import validate_file
from kpi_rules.writers.json_rows import encode_rows
from kpi_rules.writers.results_json import to_json

HEADER = """\
apiVersion: kpi-rules/v1
kind: AppraisalPolicy
metadata: {id: engine-test, title: Engine test, version: "1", effective: {from: 2024-01-01}, locale: en}
"""
CYCLE = "cycle: {period: quarter}\n"
GRADES = """\
grades:
  - {grade: S, min: 110, coefficient: 1.5}
  - {grade: A, min: 100, coefficient: 1.2}
  - {grade: B, min: 85, coefficient: 1.0}
  - {grade: C, min: 70, coefficient: 0.8}
  - {grade: D, coefficient: 0}
"""


def policy_yaml(body: str) -> str:
    """The full policy text for `body` (dedented), with the usual defaults filled in."""
    text = textwrap.dedent(body).strip("\n") + "\n"
    has = lambda key: any(line.startswith(key + ":") for line in text.splitlines())  # noqa: E731
    head = "" if has("apiVersion") else HEADER
    cycle = "" if has("cycle") else CYCLE
    grades = "" if has("grades") else GRADES
    return head + cycle + text + grades


def write_policy(tmp_path: Path, body: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(policy_yaml(body), encoding="utf-8")
    return path


def compile_file(path: Path) -> Policy:
    """Compile a policy file; a test policy with errors fails loudly, listing them."""
    validation = validate_file(path)
    if validation.errors:
        raise AssertionError("test policy is invalid:\n" + "\n".join(
            f"  {p.line}:{p.col} {p.code} {p.message}" for p in validation.errors))
    return compile_policy(validation)


def build_policy(tmp_path: Path, body: str) -> Policy:
    return compile_file(write_policy(tmp_path, body))


def _columns(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    names: list[str] = []
    for row in rows:
        for key in row:
            if key not in names:
                names.append(key)
    return names


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_rows(tmp_path: Path, rows: list[Mapping[str, Any]], fmt: str = "csv", name: str = "data",
               encoding: str = "utf-8") -> Path:
    """Rows as a data file: CSV (None -> empty cell), JSON array or JSON lines."""
    path = tmp_path / f"{name}.{fmt}"
    if fmt == "csv":
        names = _columns(rows)
        with path.open("w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(names)
            for row in rows:
                writer.writerow([_cell(row.get(k)) for k in names])
    elif fmt == "json":
        path.write_text(json.dumps(list(rows), ensure_ascii=False), encoding=encoding)
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding=encoding)
    else:
        raise ValueError(fmt)
    return path


def load_table(policy: Policy, path: Path, encoding: str | None = None) -> Table:
    return type_table(policy, read_table(path, encoding=encoding))


def run(tmp_path: Path, body: str, rows: list[Mapping[str, Any]], *, period: str | None = "2024-Q1",
        fmt: str = "csv") -> Evaluation:
    """Compile `body`, write `rows`, evaluate `period` (None: the data's only period)."""
    policy = build_policy(tmp_path, body)
    table = load_table(policy, write_rows(tmp_path, rows, fmt))
    return evaluate(policy, table, period)


def run_files(policy_path: Path, data_path: Path, period: str | None = None) -> Evaluation:
    policy = compile_file(policy_path)
    return evaluate(policy, load_table(policy, data_path), period)


def employees(ev: Evaluation) -> list[dict[str, Any]]:
    """Every row of the results in the section-3 form.

    Also holds the JSON writer's columnar encoder to these dicts: every engine test that
    reads rows checks that `evaluate --format json` writes exactly them."""
    rows = [ev.result.employee(i) for i in range(ev.result.n)]
    assert encode_rows(ev.result, 0, ev.result.n) == [orjson.dumps(r) for r in rows]
    return rows


def by_id(ev: Evaluation) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in employees(ev):
        assert row["employee_id"] not in out, f"{row['employee_id']} appears twice"
        out[row["employee_id"]] = row
    return out


def one(ev: Evaluation) -> dict[str, Any]:
    rows = employees(ev)
    assert len(rows) == 1, rows
    return rows[0]


def json_bytes(ev: Evaluation) -> bytes:
    return to_json(ev).encode("utf-8")


def row(employee_id: str, role: str = "r", period: str = "2024-Q1", **values: Any) -> dict[str, Any]:
    """One data row: reserved columns first, then inputs."""
    return {"employee_id": employee_id, "role": role, "period": period, **values}


def reasons_text(entry: Mapping[str, Any]) -> str:
    return " | ".join(entry["reasons"])
