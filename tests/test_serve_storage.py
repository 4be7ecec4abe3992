"""The schema is created and upgraded in place by the program, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from serve_helpers import DB_KINDS, database
from sqlalchemy import inspect, text

from kpi_rules.serve import audit
from kpi_rules.serve.storage.db import DatabaseUrlError, kind_of, open_engine
from kpi_rules.serve.storage.migrate import LATEST, migrate, schema_version


@pytest.mark.parametrize("kind", DB_KINDS)
def test_an_older_database_upgrades_in_place(kind: str, tmp_path: Path) -> None:
    with database(kind, tmp_path) as url:
        engine = open_engine(url)
        try:
            assert migrate(engine, upto=1) == 1
            first = audit.append(engine, audit.Event("hr", "hr", "results", "/v1/evaluations", 200))
            with engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO evaluations (id, policy_id, policy_sha256, created_at, created_by, data_file, "
                    "data_sha256, data_zlib, results_zlib, results_sha256, header, rows, rated, not_rated, error) "
                    "VALUES ('e1', 'p', 's', 't', 'hr', 'f.csv', 'd', :b, :b, 'r', '{}', 1, 1, 0, 0)"),
                    {"b": b"x"})
            assert "options" not in {c["name"] for c in inspect(engine).get_columns("evaluations")}

            assert migrate(engine) == LATEST == schema_version(engine)
            columns = {c["name"] for c in inspect(engine).get_columns("evaluations")}
            assert {"options", "scope_counts"} <= columns
            indexes = {i["name"] for i in inspect(engine).get_indexes("evaluation_rows")}
            assert {"ix_rows_employee", "ix_rows_team"} <= indexes
            assert "evaluation_tables" in inspect(engine).get_table_names()  # schema 5
            with engine.connect() as conn:
                kept = conn.execute(text("SELECT id, options FROM evaluations")).all()
            assert [tuple(r) for r in kept] == [("e1", "{}")]
            assert audit.entries(engine) == [first]
            assert audit.verify(engine).ok
            assert migrate(engine) == LATEST  # again: nothing to do
        finally:
            engine.dispose()


@pytest.mark.parametrize("url", ["mysql://x/y", "not a url", "oracle://a"])
def test_only_sqlite_and_postgresql(url: str) -> None:
    with pytest.raises(DatabaseUrlError):
        kind_of(url)


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'db'}")
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE kpi_schema_version SET version = 99"))
    with pytest.raises(RuntimeError, match="newer"):
        migrate(engine)
    engine.dispose()
