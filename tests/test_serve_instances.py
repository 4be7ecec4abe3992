"""Two server processes on one PostgreSQL database behave as one service: concurrent
evaluations through both keep one gap-free audit chain that verifies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from serve_helpers import NO_PG, PG_ENV, POLICIES, ROOT, free_port, fresh_pg_database

DATA = (ROOT / "examples" / "ops-2024.csv").read_bytes()


def _serve(port: int, db: str, cwd: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "KPI_RULES_TOKENS"}
    proc = subprocess.Popen([sys.executable, "-m", "kpi_rules", "serve", str(POLICIES), "--port", str(port),
                             "--db", db], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("a server did not start")


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=NO_PG)
def test_two_instances_one_chain(tmp_path: Path) -> None:
    with fresh_pg_database() as db:
        ports = [free_port(), free_port()]
        servers = [_serve(port, db, tmp_path) for port in ports]
        errors: list[str] = []

        def client(port: int) -> None:
            base = f"http://127.0.0.1:{port}"
            for _ in range(4):
                created = httpx.post(f"{base}/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"},
                                     content=DATA, headers={"Content-Type": "text/csv"}, timeout=120)
                if created.status_code != 201:
                    errors.append(created.text)
                    continue
                eid = created.json()["evaluation_id"]
                for path in (f"/v1/evaluations/{eid}", f"/v1/evaluations/{eid}/employees/E001", "/v1/evaluations"):
                    if httpx.get(base + path, timeout=60).status_code != 200:
                        errors.append(path)

        try:
            threads = [threading.Thread(target=client, args=(port,)) for port in ports for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=300)
            assert errors == []
            base = f"http://127.0.0.1:{ports[0]}"
            verdict = httpx.get(f"{base}/v1/audit/verify").json()
            assert verdict["ok"] is True and verdict["entries"] == 16 * 4
            seqs = [e["seq"] for e in httpx.get(f"{base}/v1/audit", params={"limit": 1000}).json()["items"]]
            assert seqs == list(range(1, 66))  # and the verify request's own entry
            assert len(httpx.get(f"http://127.0.0.1:{ports[1]}/v1/evaluations").json()["items"]) == 16
        finally:
            for proc in servers:
                proc.send_signal(signal.SIGTERM)
            for proc in servers:
                proc.wait(timeout=60)
