"""A server killed with SIGKILL during an evaluation restarts with no half-stored evaluation
and an audit chain that verifies: an evaluation and its audit entry are one transaction."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from serve_helpers import POLICIES, ROOT, free_port

KPI = [sys.executable, "-m", "kpi_rules"]


def _big_csv(copies: int) -> bytes:
    rows = list(csv.DictReader(io.StringIO((ROOT / "examples" / "ops-2024.csv").read_text(encoding="utf-8"))))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for k in range(copies):
        for row in rows:
            writer.writerow({**row, "employee_id": f"K{k}-{row['employee_id']}"})
    return out.getvalue().encode()


def _start(port: int, db: str, cwd: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "KPI_RULES_TOKENS"}
    proc = subprocess.Popen([*KPI, "serve", str(POLICIES), "--port", str(port), "--db", db], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError("the server did not start")


def test_sigkill_during_evaluations(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data = _big_csv(150)
    proc = _start(port, db, tmp_path)
    try:
        small = httpx.post(f"{base}/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"},
                           content=(ROOT / "examples" / "ops-2024.csv").read_bytes(),
                           headers={"Content-Type": "text/csv"}, timeout=60)
        assert small.status_code == 201

        def upload() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the server dies under it
                httpx.post(f"{base}/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"},
                           content=data, headers={"Content-Type": "text/csv"}, timeout=60)

        uploads = [threading.Thread(target=upload) for _ in range(3)]
        for t in uploads:
            t.start()
        time.sleep(1.5)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the server and its worker processes, at once
        proc.wait(timeout=30)
    for t in uploads:
        t.join(timeout=60)

    verify = subprocess.run([*KPI, "audit", "verify", "--db", db], capture_output=True, check=False)
    assert verify.returncode == 0, verify.stderr
    proc = _start(port, db, tmp_path)
    try:
        assert httpx.get(f"{base}/v1/audit/verify").json()["ok"] is True
        stored = httpx.get(f"{base}/v1/evaluations").json()["items"]
        audited = {e["target"] for e in httpx.get(f"{base}/v1/audit", params={"limit": 1000}).json()["items"]
                   if e["action"] == "evaluate" and e["status"] == 201}
        assert stored and {f"/v1/evaluations/{s['evaluation_id']}" for s in stored} == audited
        for s in stored:  # every stored evaluation is whole
            doc = httpx.get(f"{base}/v1/evaluations/{s['evaluation_id']}", timeout=60).json()
            assert len(doc["employees"]) == s["counts"]["rows"] == doc["summary"]["rows"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
