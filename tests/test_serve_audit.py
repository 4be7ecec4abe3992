"""The audit chain: hashes as SERVICE.md section 5 defines them, tampering caught and named,
one gap-free chain under concurrent writers (threads; on PostgreSQL, processes too)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from serve_helpers import DB_KINDS, NO_PG, PG_ENV, database
from sqlalchemy import Engine, text

from kpi_rules.cli import main
from kpi_rules.serve import audit
from kpi_rules.serve.storage.db import open_engine
from kpi_rules.serve.storage.migrate import migrate


def _engine(url: str) -> Engine:
    engine = open_engine(url)
    migrate(engine)
    return engine


def _fill(engine: Engine, n: int) -> list[dict[str, object]]:
    return [audit.append(engine, audit.Event(f"user{i}", "hr", "results", f"/v1/evaluations/{i}", 200,
                                             policy={"id": "ops", "version": "1", "sha256": "a" * 64, "commit": None},
                                             data_sha256="d" * 64, result_sha256="r" * 64)) for i in range(n)]


def test_hash_is_prev_plus_canonical_json_without_hash(tmp_path: Path) -> None:
    engine = _engine(f"sqlite:///{tmp_path / 'db'}")
    first, second = _fill(engine, 2)
    assert first["seq"] == 1 and first["prev"] == "0" * 64 and second["prev"] == first["hash"]
    body = {k: v for k, v in second.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert second["hash"] == hashlib.sha256((str(second["prev"]) + canonical).encode()).hexdigest()
    assert set(second) == {"seq", "at", "actor", "role", "action", "target", "policy", "data_sha256",
                           "result_sha256", "status", "prev", "hash"}
    assert audit.entries(engine) == [first, second]  # what is served is exactly what was hashed
    engine.dispose()


TAMPERING = [
    ("edit a field", "UPDATE audit SET actor = 'mallory' WHERE seq = 3", 3),
    ("edit the status", "UPDATE audit SET status = 401 WHERE seq = 4", 4),
    ("edit the policy JSON", "UPDATE audit SET policy = '{\"id\": \"other\"}' WHERE seq = 2", 2),
    ("delete an entry", "DELETE FROM audit WHERE seq = 3", 3),
    ("reorder two entries", "UPDATE audit SET seq = -1 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 5; "
                            "UPDATE audit SET seq = 5 WHERE seq = -1", 2),
    ("rewrite the chain from an entry on",
     # another first character, whatever the hash begins with (a bare 'f' would be no change one time in 16)
     "UPDATE audit SET hash = (CASE WHEN substr(hash, 1, 1) = 'f' THEN '0' ELSE 'f' END) || substr(hash, 2) "
     "WHERE seq = 4", 4),
]


@pytest.mark.parametrize("kind", DB_KINDS)
@pytest.mark.parametrize(("what", "sql", "bad"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_tampering_is_caught_and_named(kind: str, what: str, sql: str, bad: int, tmp_path: Path) -> None:
    with database(kind, tmp_path) as url:
        engine = _engine(url)
        _fill(engine, 6)
        assert audit.verify(engine).as_dict() == {"ok": True, "entries": 6, "first_bad": None}
        try:
            with engine.begin() as conn:
                for statement in sql.split("; "):
                    conn.execute(text(statement))
            verdict = audit.verify(engine)
        finally:
            engine.dispose()
        assert not verdict.ok and verdict.first_bad == bad, verdict
        result = CliRunner().invoke(main, ["audit", "verify", "--db", url])
        assert result.exit_code == 1
        assert f"seq {bad}" in result.output


def test_cli_verify_ok(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db'}"
    engine = _engine(url)
    _fill(engine, 3)
    engine.dispose()
    result = CliRunner().invoke(main, ["audit", "verify", "--db", url])
    assert result.exit_code == 0 and "3 entries" in result.output


def _assert_one_chain(engine: Engine, n: int) -> None:
    verdict = audit.verify(engine)
    assert verdict.ok and verdict.entries == n, verdict
    assert [e["seq"] for e in audit.entries(engine, limit=n + 10)] == list(range(1, n + 1))


@pytest.mark.parametrize("kind", DB_KINDS)
def test_concurrent_threads_keep_one_chain(kind: str, tmp_path: Path) -> None:
    with database(kind, tmp_path) as url:
        engine = _engine(url)
        errors: list[BaseException] = []

        def writer(k: int) -> None:
            try:
                for i in range(25):
                    audit.append(engine, audit.Event(f"t{k}", "hr", "results", f"/{i}", 200))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        _assert_one_chain(engine, 150)
        engine.dispose()


WRITER = """
import sys
from kpi_rules.serve import audit
from kpi_rules.serve.storage.db import open_engine
engine = open_engine(sys.argv[1])
for i in range(int(sys.argv[2])):
    audit.append(engine, audit.Event(sys.argv[3], "service", "evaluate", f"/{i}", 201))
"""


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=NO_PG)
def test_two_processes_on_postgresql_keep_one_chain(tmp_path: Path) -> None:
    _two_processes("postgresql", tmp_path)


def test_two_processes_on_sqlite_keep_one_chain(tmp_path: Path) -> None:
    _two_processes("sqlite", tmp_path)


def _two_processes(kind: str, tmp_path: Path) -> None:
    with database(kind, tmp_path) as url:
        engine = _engine(url)
        procs = [subprocess.Popen([sys.executable, "-c", WRITER, url, "60", f"p{k}"]) for k in range(3)]
        assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
        _assert_one_chain(engine, 180)
        engine.dispose()
