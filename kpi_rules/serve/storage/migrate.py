"""A small versioned migration runner: each step upgrades the schema in place, in one transaction;
a database is never dropped. Several instances starting at once: one migrates, the others wait."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    inspect,
    text,
)

from kpi_rules.serve.storage.db import reading

META_COLUMNS = ("id", "policy_id", "policy_version", "policy_sha256", "policy_commit", "period", "created_at",
                "created_by", "data_file", "data_sha256", "results_sha256", "rows", "rated", "not_rated", "error",
                "options", "version")
MIGRATION_LOCK = 0x6B70_6901  # pg_advisory_xact_lock key: one migrator at a time


def _v1(conn: Connection) -> None:
    """The first schema: audit, evaluations, their rows (as this version created them)."""
    md = MetaData()
    Table("kpi_schema_version", md, Column("version", Integer, nullable=False))
    Table("audit", md, Column("seq", BigInteger, primary_key=True, autoincrement=False),
          Column("at", Text, nullable=False), Column("actor", Text, nullable=False), Column("role", Text),
          Column("action", Text, nullable=False), Column("target", Text, nullable=False), Column("policy", Text),
          Column("data_sha256", Text), Column("result_sha256", Text), Column("status", Integer, nullable=False),
          Column("prev", Text, nullable=False), Column("hash", Text, nullable=False))
    Table("evaluations", md, Column("id", Text, primary_key=True), Column("policy_id", Text, nullable=False),
          Column("policy_version", Text), Column("policy_sha256", Text, nullable=False),
          Column("policy_commit", Text), Column("period", Text), Column("created_at", Text, nullable=False),
          Column("created_by", Text, nullable=False), Column("data_file", Text, nullable=False),
          Column("data_sha256", Text, nullable=False), Column("data_zlib", LargeBinary, nullable=False),
          Column("results_zlib", LargeBinary, nullable=False), Column("results_sha256", Text, nullable=False),
          Column("header", Text, nullable=False), Column("rows", Integer, nullable=False),
          Column("rated", Integer, nullable=False), Column("not_rated", Integer, nullable=False),
          Column("error", Integer, nullable=False))
    Table("evaluation_rows", md,
          Column("evaluation_id", Text, ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True),
          Column("position", Integer, primary_key=True, autoincrement=False), Column("employee_id", Text),
          Column("team", Text), Column("status", Text, nullable=False), Column("row", LargeBinary, nullable=False))
    md.create_all(conn)
    conn.execute(text("INSERT INTO kpi_schema_version (version) VALUES (0)"))


def _v2(conn: Connection) -> None:
    """How the data was read (encoding, sheet, columns), the policy version's source, and the counts
    a manager's or employee's view needs; indexes that serve one employee or one team without
    reading the whole evaluation."""
    conn.execute(text("ALTER TABLE evaluations ADD COLUMN options TEXT NOT NULL DEFAULT '{}'"))
    blob = "BYTEA" if conn.dialect.name == "postgresql" else "BLOB"
    conn.execute(text(f"ALTER TABLE evaluations ADD COLUMN scope_counts {blob}"))
    conn.execute(text("ALTER TABLE evaluations ADD COLUMN policy_file TEXT"))
    conn.execute(text(f"ALTER TABLE evaluations ADD COLUMN policy_zlib {blob}"))
    md = MetaData()
    rows = Table("evaluation_rows", md, Column("evaluation_id", Text), Column("employee_id", Text),
                 Column("team", Text))
    Index("ix_rows_employee", rows.c.evaluation_id, rows.c.employee_id).create(conn)
    Index("ix_rows_team", rows.c.evaluation_id, rows.c.team).create(conn)
    evals = Table("evaluations", md, Column("policy_id", Text), Column("created_at", Text))
    Index("ix_evaluations_created", evals.c.created_at, evals.c.policy_id).create(conn)


def _v3(conn: Connection) -> None:
    """The web app's sign-in sessions, kept on the server so that signing out ends one everywhere."""
    md = MetaData()
    Table("web_sessions", md, Column("id_sha256", Text, primary_key=True), Column("token_sha256", Text),
          Column("csrf", Text, nullable=False), Column("created", Float, nullable=False),
          Column("seen", Float, nullable=False))
    md.create_all(conn)


def _v4(conn: Connection) -> None:
    """Calibrations: each calibration file applied to an evaluation, in order, with the version of
    the evaluation it made and that version's results hash (every earlier version is reproducible)."""
    md = MetaData()
    Table("evaluations", md, Column("id", Text, primary_key=True))
    Table("evaluation_calibrations", md,
          Column("evaluation_id", Text, ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True),
          Column("version", Integer, primary_key=True, autoincrement=False),
          Column("created_at", Text, nullable=False), Column("created_by", Text, nullable=False),
          Column("file", Text, nullable=False), Column("sha256", Text, nullable=False),
          Column("source_zlib", LargeBinary, nullable=False), Column("previous_sha256", Text, nullable=False),
          Column("results_sha256", Text, nullable=False), Column("summary", Text, nullable=False))
    md.tables["evaluation_calibrations"].create(conn)
    conn.execute(text("ALTER TABLE evaluations ADD COLUMN version INTEGER NOT NULL DEFAULT 1"))
    # An evaluation's metadata answered from this index alone: in SQLite the columns after the
    # compressed data and results in a row are reached only through their overflow pages.
    conn.execute(text(f"CREATE INDEX ix_evaluations_meta ON evaluations ({', '.join(META_COLUMNS)})"))


def _v5(conn: Connection) -> None:
    """Each evaluation's employee table index (the web app's table, sorted and filtered without
    decoding the results); evaluations stored before get theirs on their first view."""
    md = MetaData()
    Table("evaluations", md, Column("id", Text, primary_key=True))
    Table("evaluation_tables", md,
          Column("evaluation_id", Text, ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True),
          Column("version", Integer, nullable=False), Column("table_zlib", LargeBinary, nullable=False))
    md.tables["evaluation_tables"].create(conn)


MIGRATIONS: list[Callable[[Connection], None]] = [_v1, _v2, _v3, _v4, _v5]
LATEST = len(MIGRATIONS)


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("kpi_schema_version"):
        return 0
    return int(conn.execute(text("SELECT version FROM kpi_schema_version")).scalar_one())


def migrate(engine: Engine, upto: int = LATEST) -> int:
    """Bring the database to schema version `upto` (default: the newest); returns the version."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        version = current_version(conn)
        if version > LATEST:
            raise RuntimeError(f"the database has schema version {version}, newer than this program's {LATEST}: "
                               "upgrade kpi-rules")
        for number in range(version + 1, upto + 1):
            MIGRATIONS[number - 1](conn)
            conn.execute(text("UPDATE kpi_schema_version SET version = :v"), {"v": number})
        return max(version, upto)


def schema_version(engine: Engine) -> int:
    with reading(engine) as conn:
        return current_version(conn)
