"""Stored evaluations: the data file and results compressed, one row per employee result so
that one employee or one team is served without decoding the whole evaluation."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, insert, select, text, update
from sqlalchemy.sql.elements import ColumnElement

from kpi_rules.serve.audit import Event, append_in
from kpi_rules.serve.storage import table_index
from kpi_rules.serve.storage.db import reading
from kpi_rules.serve.storage.schema import evaluation_calibrations, evaluation_rows, evaluation_tables, evaluations

BATCH = 5000


@dataclass(frozen=True)
class Stored:
    """An evaluation's metadata, without its data, results or rows."""

    id: str
    policy: dict[str, Any]
    period: str | None
    created_at: str
    created_by: str
    data_file: str
    data_sha256: str
    results_sha256: str
    counts: dict[str, int]
    options: dict[str, Any]
    version: int = 1


META = (evaluations.c.id, evaluations.c.policy_id, evaluations.c.policy_version, evaluations.c.policy_sha256,
        evaluations.c.policy_commit, evaluations.c.period, evaluations.c.created_at, evaluations.c.created_by,
        evaluations.c.data_file, evaluations.c.data_sha256, evaluations.c.results_sha256, evaluations.c.rows,
        evaluations.c.rated, evaluations.c.not_rated, evaluations.c.error, evaluations.c.options,
        evaluations.c.version)


def _stored(row: Any) -> Stored:
    return Stored(row.id, {"id": row.policy_id, "version": row.policy_version, "sha256": row.policy_sha256,
                           "commit": row.policy_commit}, row.period, row.created_at, row.created_by, row.data_file,
                  row.data_sha256, row.results_sha256,
                  {"rows": row.rows, "rated": row.rated, "not_rated": row.not_rated, "error": row.error},
                  orjson.loads(row.options or "{}"), int(row.version or 1))


def insert_rows(conn: Connection, eid: str, rows: list[tuple[str | None, str | None, str, bytes]]) -> None:
    """An evaluation's rows (positions from 0), by the driver's own executemany: 100k rows through
    SQLAlchemy's per-row parameter processing cost 1.5 s of CPU before the database saw them."""
    quote = conn.dialect.identifier_preparer.quote
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    columns = ("evaluation_id", "position", "employee_id", "team", "status", "row")
    sql = (f"INSERT INTO {quote(evaluation_rows.name)} ({', '.join(quote(c) for c in columns)}) "
           f"VALUES ({', '.join([mark] * len(columns))})")
    for start in range(0, len(rows), BATCH):
        conn.exec_driver_sql(sql, [(eid, start + k, e, t, s, r)
                                   for k, (e, t, s, r) in enumerate(rows[start:start + BATCH])])


def save(conn: Connection, values: dict[str, Any], rows: list[tuple[str | None, str | None, str, bytes]],
         table: bytes | None = None) -> None:
    """Insert an evaluation, its rows and its table index (made from the rows unless given) in the
    caller's transaction: all of it or nothing."""
    conn.execute(insert(evaluations).values(**values))
    insert_rows(conn, values["id"], rows)
    table_index.put(conn, values["id"], 1, table or table_index.of_rows(orjson.loads(values["header"]),
                                                                      [r[3] for r in rows]))


# From the covering index: SQLite's planner would take the primary key and then read the row's
# columns behind the compressed data and results through their overflow pages.
_META_SQLITE = text(f"SELECT {', '.join(c.name for c in META)} FROM evaluations INDEXED BY ix_evaluations_meta "
                    "WHERE id = :id")
_META_BY_ID = select(*META).where(evaluations.c.id == bindparam("id"))


def get(engine: Engine, eid: str) -> Stored | None:
    with reading(engine) as conn:
        return _get(conn, eid)


def _get(conn: Connection, eid: str) -> Stored | None:
    row = conn.execute(_META_SQLITE if conn.dialect.name == "sqlite" else _META_BY_ID, {"id": eid}).first()
    return _stored(row) if row else None


def get_with_rows(engine: Engine, eid: str, scope: ColumnElement[bool] | None,
                  employee_id: str) -> tuple[Stored | None, list[tuple[str | None, str | None, str, bytes]]]:
    """An evaluation's metadata and one employee's rows in scope, read on one connection."""
    with reading(engine) as conn:
        stored = _get(conn, eid)
        return stored, _rows(conn, eid, scope, employee_id) if stored is not None else []


def blob(engine: Engine, eid: str, column: str) -> bytes | None:
    """One compressed column (results_zlib, data_zlib, policy_zlib, scope_counts), decompressed."""
    with reading(engine) as conn:
        value = conn.execute(select(evaluations.c[column]).where(evaluations.c.id == eid)).scalar_one_or_none()
    return zlib.decompress(value) if value is not None else None


def header(engine: Engine, eid: str) -> dict[str, Any]:
    with reading(engine) as conn:
        text = conn.execute(select(evaluations.c.header).where(evaluations.c.id == eid)).scalar_one()
    result: dict[str, Any] = orjson.loads(text)
    return result


def scope_filter(teams: Iterable[str] | None, employee_id: str | None) -> ColumnElement[bool] | None:
    """The rows a caller sees: None for all; else their teams' rows, or their own."""
    if employee_id is not None:
        return evaluation_rows.c.employee_id == employee_id
    if teams is not None:
        return evaluation_rows.c.team.in_(list(teams))
    return None


def rows(engine: Engine, eid: str, scope: ColumnElement[bool] | None,
         employee_id: str | None = None) -> list[tuple[str | None, str | None, str, bytes]]:
    """The rows of an evaluation the scope lets through, in the results' order."""
    with reading(engine) as conn:
        return _rows(conn, eid, scope, employee_id)


def _rows(conn: Connection, eid: str, scope: ColumnElement[bool] | None,
          employee_id: str | None = None) -> list[tuple[str | None, str | None, str, bytes]]:
    where = [evaluation_rows.c.evaluation_id == eid]
    if scope is not None:
        where.append(scope)
    if employee_id is not None:
        where.append(evaluation_rows.c.employee_id == employee_id)
    # Sorted here, not by ORDER BY: a planner would walk the primary key (evaluation, position) in
    # order, the whole evaluation, rather than the employee or team index and a sort of a few rows.
    query = select(evaluation_rows.c.position, evaluation_rows.c.employee_id, evaluation_rows.c.team,
                   evaluation_rows.c.status, evaluation_rows.c.row).where(and_(*where))
    found = sorted(conn.execute(query), key=lambda r: int(r.position))
    return [(r.employee_id, r.team, r.status, bytes(r.row)) for r in found]


def listing(engine: Engine, scope: ColumnElement[bool] | None, policy: str | None,
            period: str | None) -> list[tuple[Stored, dict[str, int]]]:
    """Evaluations with at least one row in scope, newest first, with counts over those rows."""
    query = select(*META)
    if policy is not None:
        query = query.where(evaluations.c.policy_id == policy)
    if period is not None:
        query = query.where(evaluations.c.period == period)
    query = query.order_by(evaluations.c.created_at.desc(), evaluations.c.id)
    with reading(engine) as conn:
        found = [_stored(r) for r in conn.execute(query)]
        if scope is None:
            return [(s, s.counts) for s in found]
        counted = conn.execute(
            select(evaluation_rows.c.evaluation_id, evaluation_rows.c.status, func.count())
            .where(scope).group_by(evaluation_rows.c.evaluation_id, evaluation_rows.c.status)).all()
    per: dict[str, dict[str, int]] = {}
    for eid, status, n in counted:
        entry = per.setdefault(eid, {"rows": 0, "rated": 0, "not_rated": 0, "error": 0})
        entry[status] = entry.get(status, 0) + int(n)
        entry["rows"] += int(n)
    return [(s, per[s.id]) for s in found if s.id in per]


def erase(engine: Engine, eid: str, event: Event) -> bool:
    """Delete an evaluation, its rows, data and results, and audit it, in one transaction."""
    with engine.begin() as conn:
        conn.execute(delete(evaluation_rows).where(evaluation_rows.c.evaluation_id == eid))
        conn.execute(delete(evaluation_calibrations).where(evaluation_calibrations.c.evaluation_id == eid))
        conn.execute(delete(evaluation_tables).where(evaluation_tables.c.evaluation_id == eid))
        if conn.execute(delete(evaluations).where(evaluations.c.id == eid)).rowcount == 0:
            return False
        append_in(conn, event)
        return True


def get_policy_file(engine: Engine, eid: str) -> str | None:
    with reading(engine) as conn:
        value = conn.execute(select(evaluations.c.policy_file).where(evaluations.c.id == eid)).scalar_one_or_none()
    return str(value) if value is not None else None


def positions(engine: Engine, eid: str, scope: ColumnElement[bool] | None) -> list[int]:
    """The result-row positions the scope lets through, in order."""
    query = select(evaluation_rows.c.position).where(evaluation_rows.c.evaluation_id == eid)
    if scope is not None:
        query = query.where(scope)
    with reading(engine) as conn:
        return [int(p) for p in conn.execute(query.order_by(evaluation_rows.c.position)).scalars()]


def calibration_files(engine: Engine, eid: str) -> tuple[tuple[bytes, str], ...]:
    """The calibration files applied to an evaluation, in order: (content, file name)."""
    query = (select(evaluation_calibrations.c.source_zlib, evaluation_calibrations.c.file)
             .where(evaluation_calibrations.c.evaluation_id == eid).order_by(evaluation_calibrations.c.version))
    with reading(engine) as conn:
        return tuple((zlib.decompress(r.source_zlib), str(r.file)) for r in conn.execute(query))


def calibrations(engine: Engine, eid: str) -> list[dict[str, Any]]:
    """The calibrations of an evaluation as `GET .../calibrations` lists them."""
    c = evaluation_calibrations.c
    query = select(c.version, c.created_at, c.created_by, c.file, c.sha256, c.previous_sha256, c.results_sha256,
                   c.summary, c.source_zlib).where(c.evaluation_id == eid).order_by(c.version)
    with reading(engine) as conn:
        return [{"version": r.version, "created_at": r.created_at, "created_by": r.created_by, "file": r.file,
                 "sha256": r.sha256, "previous_results_sha256": r.previous_sha256,
                 "results_sha256": r.results_sha256, "calibration": orjson.loads(r.summary),
                 "source": zlib.decompress(r.source_zlib).decode("utf-8", errors="replace")}
                for r in conn.execute(query)]


def replace_results(conn: Connection, eid: str, expected_version: int, values: dict[str, Any],
                    rows: list[tuple[str | None, str | None, str, bytes]], calibration: dict[str, Any],
                    table: bytes | None = None) -> bool:
    """Store a new version of an evaluation's results (a calibration applied) in the caller's
    transaction; False when another request made a new version first."""
    changed = conn.execute(update(evaluations).where(and_(evaluations.c.id == eid,
                                                          evaluations.c.version == expected_version))
                           .values(version=expected_version + 1, **values)).rowcount
    if changed != 1:
        return False
    conn.execute(delete(evaluation_rows).where(evaluation_rows.c.evaluation_id == eid))
    insert_rows(conn, eid, rows)
    conn.execute(insert(evaluation_calibrations).values(evaluation_id=eid, version=expected_version + 1,
                                                         **calibration))
    table_index.put(conn, eid, expected_version + 1,
                    table or table_index.of_rows(orjson.loads(values["header"]), [r[3] for r in rows]))
    return True
