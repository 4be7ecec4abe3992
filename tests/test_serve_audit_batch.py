"""The audit log's group commit: many requests at once get their entries appended together, each
answered only after its own entry is committed; the chain has no gap, fork or loss."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from serve_helpers import DB_KINDS, client, database, settings

from kpi_rules.serve import audit
from kpi_rules.serve.audit_batch import AuditWriter
from kpi_rules.serve.storage.db import open_engine
from kpi_rules.serve.storage.migrate import migrate


@pytest.mark.parametrize("kind", DB_KINDS)
def test_concurrent_requests_one_chain(tmp_path: Path, kind: str) -> None:
    with database(kind, tmp_path) as url, TestClient(client(settings(tmp_path, url)).app) as c:
        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(lambda k: c.get(f"/v1/evaluations/nope-{k}").status_code, range(120)))
        assert statuses == [404] * 120
        verdict = c.get("/v1/audit/verify").json()
        assert verdict["ok"] is True and verdict["first_bad"] is None
        entries = c.get("/v1/audit", params={"limit": 1000}).json()["items"]
        probes = [e for e in entries if e["target"].startswith("/v1/evaluations/nope-")]
        assert sorted(e["target"] for e in probes) == sorted(f"/v1/evaluations/nope-{k}" for k in range(120))
        assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))


def test_a_failed_batch_fails_its_requests_and_stores_nothing(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'a.db'}")
    migrate(engine)
    writer = AuditWriter(engine)
    ok = writer.submit(audit.Event("a", "hr", "results", "/v1/x", 200)).result(timeout=30)
    assert ok["seq"] == 1
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE audit")
    failed = writer.submit(audit.Event("a", "hr", "results", "/v1/y", 200))
    with pytest.raises(Exception, match="audit"):
        failed.result(timeout=30)
    writer.close()
    engine.dispose()
