"""Shared set-up for the service's tests: real databases (SQLite files; PostgreSQL when
KPI_RULES_TEST_PG is set, one fresh database per test), tokens files, in-process clients."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kpi_rules.serve.app import create_app
from kpi_rules.serve.identity import add_token
from kpi_rules.serve.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
PG_ENV = "KPI_RULES_TEST_PG"
NO_PG = f"PostgreSQL tests need {PG_ENV} (start one with .ci/postgres.sh)"
DB_KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not os.environ.get(PG_ENV), reason=NO_PG))]


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server, dropped afterwards."""
    base = make_url(os.environ[PG_ENV]).set(drivername="postgresql+psycopg")
    name = f"kpi_serve_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name, drivername="postgresql").render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def database(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.db'}"
    else:
        with fresh_pg_database() as url:
            yield url


def tokens_for(path: Path) -> dict[str, str]:
    """One identity per role and scope the visibility tests need; name -> token."""
    made = {
        "hr": ("hr", (), None), "svc": ("service", (), None),
        "mgr": ("manager", ("growth",), None), "emp": ("employee", (), "E001"),
    }
    return {name: add_token(path, name, role, teams, emp) for name, (role, teams, emp) in made.items()}


def settings(tmp_path: Path, db_url: str, tokens: Path | None = None, policy_dir: Path = POLICIES,
             **more: object) -> Settings:
    return Settings(policy_dir=policy_dir, db_url=db_url, tokens_file=tokens, **more)  # type: ignore[arg-type]


def client(s: Settings) -> TestClient:
    return TestClient(create_app(s), raise_server_exceptions=False)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
