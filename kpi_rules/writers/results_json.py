"""The results document of POLICY_FORMAT section 3 as JSON: sorted keys, one employee per line."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from kpi_rules.common.perf import no_gc_pauses
from kpi_rules.common.version import __version__
from kpi_rules.engine import Evaluation
from kpi_rules.writers.json_rows import encode_rows

CHUNK_ROWS = 2_500  # rows encoded at a time: 1M rows of results JSON stay under 1 GiB


def results_header(ev: Evaluation) -> dict[str, Any]:
    """Everything in the results document but the employee rows."""
    res = ev.result
    calibrations = {"calibrations": [c.summary() for c in ev.calibrations]} if ev.calibrations else {}
    return {
        **calibrations,
        "kpi_rules": {"version": __version__},
        "policy": {"id": ev.policy.id, "title": ev.policy.title, "version": ev.policy.version,
                   "sha256": ev.policy.sha256, "locale": ev.policy.locale},
        "data": _data(ev),
        "period": ev.period,
        "kind": ev.kind,
        "teams": res.teams,
        "distribution": res.distribution,
        "summary": res.summary(),
    }


def _data(ev: Evaluation) -> dict[str, Any]:
    """The data read: for several files, `file` names them all, `sha256` is that of their bytes
    one after another (`cat q1.csv q2.csv | sha256sum`) and `files` gives each one."""
    table = ev.table
    data: dict[str, Any] = {"file": Path(table.file).name, "sha256": table.sha256, "rows": table.n,
                            "other_periods": ev.other_periods, "notes": table.notes}
    if table.sources:
        data["files"] = [{"file": s.file, "sha256": s.sha256, "rows": s.rows} for s in table.sources]
    return data


def evaluation_to_dict(ev: Evaluation) -> dict[str, Any]:
    """The results document of POLICY_FORMAT section 3, as Python values.

    Every list and dict in it is new: the caller may change them without changing the
    evaluation, its table or any later call."""
    res = ev.result
    rows = res.employee_rows(0, res.n)
    return {**copy.deepcopy(results_header(ev)), "employees": rows}


def write_json(ev: Evaluation, out: BinaryIO) -> None:
    """Sorted keys, one employee per line: byte-identical for identical input, and diffable.

    Rows are encoded and written a slice at a time, so memory stays bounded for a million
    rows, column by column (jsonrows: the same bytes as the rows' dicts, several times faster)."""
    with no_gc_pauses():
        header = results_header(ev)
        keys = sorted([*header, "employees"])
        out.write(b"{\n")
        for k, key in enumerate(keys):
            out.write(f'"{key}": '.encode())
            if key != "employees":
                out.write(orjson.dumps(header[key], option=orjson.OPT_SORT_KEYS))
            else:
                out.write(b"[")
                res = ev.result
                for start in range(0, res.n, CHUNK_ROWS):
                    out.write(b"\n" if start == 0 else b",\n")
                    out.write(b",\n".join(encode_rows(res, start, start + CHUNK_ROWS)))
                out.write(b"\n]" if res.n else b"]")
            out.write(b",\n" if k < len(keys) - 1 else b"\n")
        out.write(b"}\n")


def to_json(ev: Evaluation) -> str:
    buffer = io.BytesIO()
    write_json(ev, buffer)
    return buffer.getvalue().decode()
