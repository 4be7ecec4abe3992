"""The CPU work of an evaluation, run in a worker process off the request loop: the same
functions, in the same order, as `kpi-rules evaluate` (cli/evaluate_cmd.py), never a second
implementation. Everything crossing the process boundary is plain bytes, strings and numbers."""

from __future__ import annotations

import hashlib
import io
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import orjson

from kpi_rules.common.errors import KpiRulesError
from kpi_rules.data.raw import DataFileError, RawTable
from kpi_rules.data.several import read_sources
from kpi_rules.data.table import type_table
from kpi_rules.engine import Evaluation, PeriodChoiceError, row_periods
from kpi_rules.engine import evaluate as run_evaluation
from kpi_rules.policy.calibration import CalibrationInvalid, calibration_from_bytes
from kpi_rules.policy.compiler import compile_policy
from kpi_rules.policy.model import Policy
from kpi_rules.policy.validate import validate_bytes
from kpi_rules.serve.storage import table_index
from kpi_rules.writers.results_json import results_header, write_json


@dataclass(frozen=True)
class Job:
    policy_source: bytes
    policy_file: str
    data: bytes
    data_file: str
    fmt: str | None
    period: str | None
    encoding: str | None = None
    sheet: str | None = None
    columns: tuple[tuple[str, str], ...] = ()
    max_rows: int = 2_000_000
    header_row: int = 1
    calibrations: tuple[tuple[bytes, str], ...] = ()  # calibration files (content, file name), applied in order


@dataclass(frozen=True)
class Failure:
    status: int
    detail: str
    problems: list[dict[str, Any]] | None = None


@dataclass
class Outcome:
    results: bytes  # the results document, byte for byte as `kpi-rules evaluate --format json`
    results_zlib: bytes  # ... compressed, here in the worker
    header: bytes  # the document but its employees (orjson)
    meta: list[tuple[str | None, str | None, str]]  # each row's employee_id, team, status
    summary: dict[str, Any]
    scope_counts: dict[str, Any] = field(default_factory=dict)
    table: bytes | None = None  # the web app's table index (storage/table_index.py), compressed

    @property
    def rows(self) -> list[tuple[str | None, str | None, str, bytes]]:
        """employee_id, team, status and the row's JSON, cut from the document itself: a row is one
        line of it (JSON escapes a newline inside a string), rows separated by `,\\n`."""
        lines = employee_lines(self.results)
        if len(lines) != len(self.meta):
            raise RuntimeError(f"the results document has {len(lines)} rows, the result {len(self.meta)}")
        return [(*m, row) for m, row in zip(self.meta, lines)]


def employee_lines(document: bytes) -> list[bytes]:
    """The rows of a results document as write_json lays it out, each exactly as written."""
    start = document.find(b'\n"employees": [\n')
    if start < 0:
        return []
    start += len(b'\n"employees": [\n')
    end = document.find(b"\n]", start)
    return document[start:end].split(b",\n")


def _problems(problems: list[Any]) -> list[dict[str, Any]]:
    return [{**p.to_dict(), "column": p.col} for p in problems]


@lru_cache(maxsize=16)
def compiled_policy(source: bytes, file: str) -> Policy | Failure:
    """The policy validated and compiled as `kpi-rules evaluate` does, or why not. Kept for the
    next job: a served policy changes rarely, and parsing and checking it costs more than
    evaluating 1,000 rows. A policy is a function of its bytes and file name alone, and frozen."""
    validation = validate_bytes(source, file)
    if validation.errors:
        return Failure(422, f"the policy {file} is not valid", _problems(validation.problems))
    return compile_policy(validation)


def evaluation_of(job: Job) -> Evaluation | Failure:
    """The job evaluated as `kpi-rules evaluate` does, or why not (a status and the problems)."""
    policy = compiled_policy(job.policy_source, job.policy_file)
    if isinstance(policy, Failure):
        return policy
    try:
        raw = _raw(job)
        if raw.n > job.max_rows:
            return Failure(413, f"the data has {raw.n} rows, more than the server's --max-rows {job.max_rows}")
        table = type_table(policy, raw)
    except DataFileError as exc:  # the options named as the request gives them: header_row=2, not --header-row 2
        said = exc.told("request")
        return Failure(422, said, [{"message": said, "file": job.data_file}])
    try:
        calibrations = [calibration_from_bytes(raw, name) for raw, name in job.calibrations]
        return run_evaluation(policy, table, job.period, calibrations)
    except PeriodChoiceError as exc:
        return Failure(422, exc.told("period="))
    except CalibrationInvalid as exc:
        return Failure(422, f"the calibration does not fit: {exc}", _problems(exc.problems))


def _raw(job: Job) -> RawTable:
    """The upload read as `kpi-rules evaluate --data FILE` reads a file (cli/data_options.read_data)."""
    return read_sources([(job.data_file, job.data)], fmt=job.fmt, encoding=job.encoding, sheet=job.sheet,
                        header_row=job.header_row, columns=dict(job.columns))


def scope_counts(ev: Evaluation) -> dict[str, Any]:
    """Rows and rows of other periods, per team and per employee: a manager's and an employee's
    `data.rows` and `data.other_periods` without the rest of the file."""
    table = ev.table
    codes, distinct = row_periods(table)
    labels = [str(p) if p is not None else None for p in distinct]
    other = np.array([label in ev.other_periods for label in labels], dtype=bool)
    counts: dict[str, Any] = {"team": {}, "employee": {}}
    for scope, column in (("team", "team"), ("employee", "employee_id")):
        values = table.text.get(column)
        if values is None:
            continue
        for i, key in enumerate(values.tolist()):
            entry = counts[scope].setdefault("" if key is None else str(key), {"rows": 0, "other_periods": {}})
            entry["rows"] += 1
            code = codes[i]
            if other[code]:
                label = labels[code]
                entry["other_periods"][label] = entry["other_periods"].get(label, 0) + 1
    return counts


def evaluate_job(job: Job) -> Outcome | Failure:
    try:
        evaluation = evaluation_of(job)
        if isinstance(evaluation, Failure):
            return evaluation
        buffer = io.BytesIO()
        write_json(evaluation, buffer)
        res = evaluation.result
        meta = [(None if e is None else str(e), None if t is None else str(t), str(s))
                for e, t, s in zip(res.employee_id.tolist(), res.team.tolist(), res.status.tolist())]
        header = results_header(evaluation)
        results = buffer.getvalue()
        return Outcome(results, zlib.compress(results, 1), orjson.dumps(header, option=orjson.OPT_SORT_KEYS), meta,
                       header["summary"], scope_counts(evaluation),
                       table_index.encode(table_index.index_of_result(header, res)))
    except KpiRulesError as exc:  # anything the core refuses is the input's fault, said in its words
        return Failure(422, str(exc))


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def diff_job(base: tuple[bytes, str], head: tuple[bytes, str], job: Job) -> str | Failure:
    """`kpi-rules diff --format json`: both policy versions on an evaluation's stored data."""
    from kpi_rules.diff.compare import diff_policies, read_version
    from kpi_rules.diff.render import RENDERERS

    versions = [read_version(raw, label) for raw, label in (base, head)]
    invalid = [v for v in versions if not v.validation.ok]
    if invalid:
        problems = [{**p.to_dict(), "column": p.col} for v in invalid for p in v.validation.problems]
        return Failure(422, f"{', '.join(v.label for v in invalid)}: not a valid policy", problems)
    try:
        raw = _raw(job)
        return RENDERERS["json"](diff_policies(versions[0], versions[1], raw, job.period), 0)
    except DataFileError as exc:
        return Failure(422, exc.told("request"))
    except KpiRulesError as exc:
        return Failure(422, str(exc))
