"""/metrics: Prometheus text for hr and service tokens; route templates as labels, never ids."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from serve_helpers import ROOT, bearer, client, settings, tokens_for


def test_metrics(tmp_path: Path) -> None:
    made = tokens_for(tmp_path / "tokens.yaml")
    with TestClient(client(settings(tmp_path, f"sqlite:///{tmp_path / 'db'}", tmp_path / "tokens.yaml")).app) as c:
        assert c.get("/metrics").status_code == 401
        assert c.get("/metrics", headers=bearer(made["mgr"])).status_code == 403
        assert c.get("/metrics", headers=bearer(made["emp"])).status_code == 403
        created = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"},
                         content=(ROOT / "examples" / "ops-2024.csv").read_bytes(),
                         headers={**bearer(made["svc"]), "Content-Type": "text/csv"})
        eid = created.json()["evaluation_id"]
        c.get(f"/v1/evaluations/{eid}/employees/E001", headers=bearer(made["hr"]))
        text = c.get("/metrics", headers=bearer(made["svc"])).text
        assert 'kpi_rules_http_requests_total{method="POST",route="/v1/policies/{policy_id}/evaluations",' \
               'status="201"} 1.0' in text
        assert 'route="/v1/evaluations/{eid}/employees/{employee_id}"' in text
        assert eid not in text and "E001" not in text
        assert "kpi_rules_evaluations_total 1.0" in text and "kpi_rules_evaluation_rows_total 40.0" in text
        assert "kpi_rules_http_request_seconds_bucket" in text
        audited = c.get("/v1/audit", headers=bearer(made["hr"])).json()["items"]
        assert not any("/metrics" in e["target"] for e in audited)  # a refused scrape is not audited
        assert "kpi_rules_audit_entries_total" in text
