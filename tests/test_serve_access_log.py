"""JSON access logs (issue 14, Operations): a real server's standard error has one JSON line per
request with the route template, status, duration and the caller's name; never a token, a query
string, an employee id from a path or a row of data."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from serve_helpers import POLICIES, ROOT, free_port, tokens_for
from test_serve_cli import _wait_ready

KPI = [sys.executable, "-m", "kpi_rules"]


def test_one_json_line_per_request_without_ids_or_tokens(tmp_path: Path) -> None:
    made = tokens_for(tmp_path / "tokens.yaml")
    port = free_port()
    proc = subprocess.Popen([*KPI, "serve", str(POLICIES), "--port", str(port), "--db",
                             f"sqlite:///{tmp_path / 'db.sqlite'}", "--tokens", str(tmp_path / "tokens.yaml")],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    hr = {"Authorization": f"Bearer {made['hr']}"}
    try:
        _wait_ready(port, proc)
        created = httpx.post(f"{base}/v1/policies/ops-department/evaluations?period=2024-Q2", timeout=60,
                             content=(ROOT / "examples" / "ops-2024.csv").read_bytes(),
                             headers={**hr, "Content-Type": "text/csv"})
        assert created.status_code == 201
        eid = created.json()["evaluation_id"]
        assert httpx.get(f"{base}/v1/evaluations/{eid}/employees/E011?secret=x", headers=hr).status_code == 200
        mgr = {"Authorization": f"Bearer {made['mgr']}"}
        assert httpx.get(f"{base}/v1/evaluations/{eid}/employees/E011", headers=mgr).status_code == 404
        assert httpx.get(f"{base}/v1/evaluations/{eid}/report?employee_id=E002", headers=mgr).status_code == 200
        assert httpx.get(f"{base}/v1/audit", headers={"Authorization": "Bearer forged"}).status_code == 401
        assert httpx.get(f"{base}/no/such/E011").status_code == 404
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    lines = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    routes = [(x["method"], x["route"], x["status"], x["actor"]) for x in lines]
    assert ("POST", "/v1/policies/{policy_id}/evaluations", 201, "hr") in routes
    assert ("GET", "/v1/evaluations/{eid}/employees/{employee_id}", 200, "hr") in routes
    assert ("GET", "/v1/evaluations/{eid}/employees/{employee_id}", 404, "mgr") in routes
    assert ("GET", "/v1/evaluations/{eid}/report", 200, "mgr") in routes
    assert ("GET", "/v1/audit", 401, None) in routes
    assert ("GET", "unmatched", 404, None) in routes
    assert all(set(x) == {"time", "method", "route", "status", "duration_ms", "actor"} for x in lines)
    assert all(isinstance(x["duration_ms"], float | int) and x["duration_ms"] >= 0 for x in lines)
    text = err.decode()
    for secret in (*made.values(), "forged", "E011", "E002", "secret=x", eid, "王建国", "李娜"):
        assert secret not in text, secret
