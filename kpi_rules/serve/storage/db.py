"""An SQLAlchemy engine from the `--db` URL: `sqlite:///PATH` or `postgresql://...` (psycopg 3)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

READ_ONLY = "kpi_rules_read_only"
SQLITE_POOL = 40


def reading(engine: Engine) -> Connection:
    """A connection for reads only (on SQLite its transactions do not take the write lock)."""
    return engine.connect().execution_options(**{READ_ONLY: True})


class DatabaseUrlError(ValueError):
    """A `--db` URL the service cannot use."""


def kind_of(url: str) -> str:
    """`sqlite` or `postgresql`, from a URL; anything else is refused."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUrlError(f"--db {url!r} is not a database URL: use sqlite:///PATH or postgresql://...") from exc
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseUrlError(f"--db {backend}: only sqlite:///PATH and postgresql://... are supported")
    return backend


def open_engine(url: str) -> Engine:
    kind = kind_of(url)
    parsed = make_url(url)
    if kind == "postgresql":
        engine = create_engine(parsed.set(drivername="postgresql+psycopg"), pool_pre_ping=True)
        return engine
    # As many pooled connections as request threads (anyio's 40) may read at once: past the pool's
    # size each checkout would open a new connection (and set its pragmas) and close it after.
    engine = create_engine(parsed.set(drivername="sqlite+pysqlite"), connect_args={"timeout": 60},
                           pool_size=SQLITE_POOL, max_overflow=SQLITE_POOL)
    _sqlite_transactions(engine)
    return engine


def _sqlite_transactions(engine: Engine) -> None:
    """Every SQLite transaction that may write takes the write lock at its start (BEGIN IMMEDIATE):
    it can never deadlock upgrading a read lock, and the audit chain's read-then-append is
    serialized. Connections from `reading` only read: they run beside writers (WAL)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        # On the driver's connection: the statement needs none of SQLAlchemy's execution machinery.
        conn.connection.driver_connection.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")
