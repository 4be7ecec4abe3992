"""Each evaluation's employee table as the web app shows, sorts and filters it, made once when an
evaluation (or a new version of it) is stored: for each of a few fields of every row, the field's
distinct values in order and each row's rank among them; the rows not rated with their reasons;
the mean final score of each grade; and the results' header. A page of 100k rows, sorted and
filtered, then never decodes the results. An evaluation stored before schema 5 gets its index on
its first view (web/index.py)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, and_, delete, insert, select

from kpi_rules.results.model import PeriodResult
from kpi_rules.serve.storage.db import reading
from kpi_rules.serve.storage.schema import evaluation_rows, evaluation_tables, evaluations
from kpi_rules.writers.json_rows import number_fragments

FIELDS = ("employee_id", "name", "team", "role", "grade", "final", "status")
TEXT = frozenset({"team", "role", "grade", "status"})  # the filter fields: compared as text


def _key(value: Any) -> tuple[int, Any]:
    """The table's order: numbers by value, anything else as text (numbers first if a column mixes)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value)
    return (1, str(value))


def _ranked(cells: list[Any]) -> dict[str, Any]:
    """A field's distinct values in the table's order and each cell's rank among them (-1: empty).
    Keyed once per distinct value, not per cell (100k rows, 7 fields)."""
    if any(c.__class__ is bool for c in cells):  # True == 1 in a set: the careful way, a key per cell
        keyed: dict[tuple[int, Any], Any] = {}
        for cell in cells:
            if cell is not None:
                keyed.setdefault(_key(cell), cell)
        by_key = {k: i for i, k in enumerate(sorted(keyed))}
        return {"values": [keyed[k] for k in sorted(keyed)],
                "ranks": [-1 if c is None else by_key[_key(c)] for c in cells]}
    distinct = dict.fromkeys(c for c in cells if c is not None)  # the first of equal values kept, as before
    order = sorted(distinct, key=_key)
    rank = {v: i for i, v in enumerate(order)}
    return {"values": order, "ranks": [-1 if c is None else rank[c] for c in cells]}


def index_of(header: dict[str, Any], employees: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The index of these rows (in the results' order) under the results' `header`."""
    columns = {f: [e.get(f) for e in employees] for f in FIELDS}
    unrated = [{"employee_id": e.get("employee_id"), "status": e.get("status"), "line": e.get("line"),
                "reasons": e.get("reasons") or []} for e in employees if e.get("status") != "rated"]
    return _index(header, columns, unrated)


def index_of_result(header: dict[str, Any], res: PeriodResult) -> dict[str, Any]:
    """The same index from an evaluation's columns, each value as the results' JSON holds it, without
    encoding and parsing the rows (100k rows: a tenth of a second, not seconds)."""
    n = res.n
    status = res.status.tolist()
    rated = [s == "rated" for s in status]

    def texts(name: str, only_rated: bool = False) -> list[Any]:
        values = getattr(res, name)
        shown = values.tolist() if len(values) else [None] * n
        return [v if r else None for v, r in zip(shown, rated)] if only_rated else shown

    final: list[Any] = [None] * n
    if n and len(res.final):
        fragments = number_fragments(res.final, res.decimals, ~(res.status == "rated"))
        final = orjson.loads(b"[" + b",".join(fragments) + b"]")
    columns = {"employee_id": texts("employee_id"), "name": texts("name"), "team": texts("team"),
               "role": texts("role"), "grade": texts("grade", True), "final": final, "status": status}
    reasons = res.reasons.sparse(0, n)
    lines = list(res.lines)
    unrated = [{"employee_id": columns["employee_id"][i], "status": status[i], "line": lines[i],
                "reasons": reasons.get(i, [])} for i in range(n) if not rated[i]]
    return _index(header, columns, unrated)


def _index(header: dict[str, Any], columns: dict[str, list[Any]], unrated: list[dict[str, Any]]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for field in FIELDS:
        cells = [None if v is None else str(v) for v in columns[field]] if field in TEXT else columns[field]
        fields[field] = _ranked(cells)
    sums: dict[str, list[float]] = {}
    for status, grade, final in zip(columns["status"], columns["grade"], columns["final"]):
        if status == "rated" and isinstance(final, (int, float)):
            sums.setdefault(str(grade), []).append(float(final))
    return {"header": header, "rows": len(columns["status"]), "fields": fields, "unrated": unrated,
            "finals": {g: sum(v) / len(v) for g, v in sums.items()}}


def encode(index: dict[str, Any]) -> bytes:
    return zlib.compress(orjson.dumps(index), 1)


def of_rows(header: dict[str, Any], rows: Sequence[bytes]) -> bytes:
    """The index of stored rows (each row's JSON as the results hold it), compressed."""
    return encode(index_of(header, [orjson.loads(r) for r in rows]))


def decode(blob: bytes) -> dict[str, Any]:
    doc: dict[str, Any] = orjson.loads(zlib.decompress(blob))
    return doc


def put(conn: Connection, eid: str, version: int, blob: bytes) -> None:
    """Store (or replace) an evaluation version's index in the caller's transaction."""
    conn.execute(delete(evaluation_tables).where(evaluation_tables.c.evaluation_id == eid))
    conn.execute(insert(evaluation_tables).values(evaluation_id=eid, version=version, table_zlib=blob))


def get(engine: Engine, eid: str, version: int) -> bytes | None:
    """The stored index of this version of an evaluation, if there is one."""
    c = evaluation_tables.c
    with reading(engine) as conn:
        value = conn.execute(select(c.table_zlib).where(and_(c.evaluation_id == eid, c.version == version))
                             ).scalar_one_or_none()
    return bytes(value) if value is not None else None


def ensure(engine: Engine, eid: str, version: int) -> bytes | None:
    """This version's index; made from the stored rows and kept if missing (an evaluation stored
    before schema 5). None if the evaluation is gone or has another version now."""
    found = get(engine, eid, version)
    if found is not None:
        return found
    e, r = evaluations.c, evaluation_rows.c
    with reading(engine) as conn:  # one read transaction: the header and rows of one version
        head = conn.execute(select(e.header).where(and_(e.id == eid, e.version == version))).scalar_one_or_none()
        if head is None:
            return None
        rows = [bytes(v) for v in conn.execute(select(r.row).where(r.evaluation_id == eid).order_by(r.position))
                .scalars()]
    blob = of_rows(orjson.loads(head), rows)
    with engine.begin() as conn:  # kept unless a calibration made a new version meanwhile
        if conn.execute(select(e.version).where(e.id == eid)).scalar_one_or_none() == version:
            put(conn, eid, version, blob)
    return blob
