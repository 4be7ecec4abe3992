"""Calibrations over HTTP (issue 16): a calibration file applied to a stored evaluation makes a new,
audited version whose results are `kpi-rules evaluate --calibration FILE` byte for byte; the file and
the hashes before and after are kept; bad input is 422 with file:line:col problems."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from serve_helpers import DB_KINDS, POLICIES, ROOT, bearer, client, database, settings, tokens_for

DATA = ROOT / "examples" / "ops-2024.csv"
CALIBRATION = ROOT / "examples" / "ops-2024-Q2.calibration.yaml"
YAML = {"Content-Type": "application/yaml",
        "Content-Disposition": "attachment; filename=ops-2024-Q2.calibration.yaml"}


def _evaluate(c: TestClient, token: str) -> str:
    response = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"},
                      content=DATA.read_bytes(), headers={**bearer(token), "Content-Type": "text/csv",
                                                         "Content-Disposition": "attachment; filename=ops-2024.csv"})
    assert response.status_code == 201
    return str(response.json()["evaluation_id"])


@pytest.mark.parametrize("kind", DB_KINDS)
def test_a_calibration_is_a_new_audited_version(tmp_path: Path, kind: str) -> None:
    made = tokens_for(tmp_path / "tokens.yaml")
    with database(kind, tmp_path) as url, \
            TestClient(client(settings(tmp_path, url, tmp_path / "tokens.yaml")).app) as c:
        hr = bearer(made["hr"])
        eid = _evaluate(c, made["hr"])
        before = c.get(f"/v1/evaluations/{eid}", headers=hr).content
        explained = c.get(f"/v1/evaluations/{eid}/employees/E014/explain", headers=hr).text
        response = c.post(f"/v1/evaluations/{eid}/calibrations", content=CALIBRATION.read_bytes(),
                          headers={**hr, **YAML})
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["version"] == 2 and body["file"] == "ops-2024-Q2.calibration.yaml"
        assert response.headers["location"] == f"/v1/evaluations/{eid}/calibrations"
        cli = subprocess.run([sys.executable, "-m", "kpi_rules", "evaluate", str(POLICIES / "ops-department.yaml"),
                              "--data", str(DATA), "--period", "2024-Q2", "--format", "json", "--calibration",
                              str(CALIBRATION)], capture_output=True, check=True).stdout
        after = c.get(f"/v1/evaluations/{eid}", headers=hr).content
        assert after == cli and after != before
        listed = c.get(f"/v1/evaluations/{eid}/calibrations", headers=hr).json()
        assert listed["version"] == 2
        [item] = listed["items"]
        assert item["source"] == CALIBRATION.read_text(encoding="utf-8")
        assert item["results_sha256"] == body["results_sha256"] != item["previous_results_sha256"]
        assert item["calibration"]["file"] == "ops-2024-Q2.calibration.yaml"
        # explain reads the new version (the workers' cache is keyed by the results' hash)
        calibrated = c.get(f"/v1/evaluations/{eid}/employees/E014/explain", headers=hr).text
        cli_explain = subprocess.run([sys.executable, "-m", "kpi_rules", "explain",
                                      str(POLICIES / "ops-department.yaml"), "--data", str(DATA), "--period",
                                      "2024-Q2", "--employee", "E014", "--calibration", str(CALIBRATION)],
                                     capture_output=True, check=True, text=True).stdout
        assert calibrated == cli_explain and explained != calibrated
        entries = c.get("/v1/audit", headers=hr).json()["items"]
        mine = [e for e in entries if e["action"] == "calibrate" and e["status"] == 201]
        assert mine and mine[-1]["result_sha256"] == body["results_sha256"]
        assert c.get("/v1/audit/verify", headers=hr).json()["ok"] is True
        # the same file again: two adjustments for one person across files are refused, nothing changes
        again = c.post(f"/v1/evaluations/{eid}/calibrations", content=CALIBRATION.read_bytes(),
                       headers={**hr, **YAML})
        assert again.status_code == 422
        assert c.get(f"/v1/evaluations/{eid}", headers=hr).content == after


@pytest.mark.parametrize(("body", "line"), [
    (b"apiVersion: kpi-rules/v1\nkind: Calibration\npolicy: ops-department\nperiod: 2024-Q2\nadjustments:\n"
     b"  - {employee_id: E002, grade: Z, reason: r, by: a, approved_by: b, date: 2024-07-01}\n", 6),
    (b"apiVersion: kpi-rules/v1\nkind: Calibration\npolicy: ops-department\nperiod: 2024-Q2\nadjustments:\n"
     b"  - {employee_id: E999, grade: A, reason: r, by: a, approved_by: b, date: 2024-07-01}\n", 6),
    (b"apiVersion: kpi-rules/v1\nkind: Calibration\npolicy: ops-department\nperiod: 2024-Q2\nadjustments: [\n", 6),
    (b"apiVersion: kpi-rules/v1\nkind: Calibration\npolicy: ops-department\nperiod: 2024-Q2\n"
     b"adjustments:\n  - {employee_id: E002, grade: A}\n", 6),
])
def test_bad_calibrations_are_422_with_lines(tmp_path: Path, body: bytes, line: int) -> None:
    made = tokens_for(tmp_path / "tokens.yaml")
    with TestClient(client(settings(tmp_path, f"sqlite:///{tmp_path / 'db'}", tmp_path / "tokens.yaml")).app) as c:
        eid = _evaluate(c, made["hr"])
        before = c.get(f"/v1/evaluations/{eid}", headers=bearer(made["hr"])).content
        response = c.post(f"/v1/evaluations/{eid}/calibrations", content=body,
                          headers={**bearer(made["hr"]), **YAML})
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problems = response.json()["problems"]
        assert problems and problems[0]["line"] == line and problems[0]["column"] >= 1
        assert "ops-2024-Q2.calibration.yaml" in str(problems[0].get("file", "")) + response.json()["detail"]
        assert c.get(f"/v1/evaluations/{eid}", headers=bearer(made["hr"])).content == before
        assert c.get(f"/v1/evaluations/{eid}/calibrations", headers=bearer(made["hr"])).json()["items"] == []


def test_only_hr_calibrates(tmp_path: Path) -> None:
    made = tokens_for(tmp_path / "tokens.yaml")
    with TestClient(client(settings(tmp_path, f"sqlite:///{tmp_path / 'db'}", tmp_path / "tokens.yaml")).app) as c:
        eid = _evaluate(c, made["hr"])
        for who in ("svc", "mgr", "emp"):
            response = c.post(f"/v1/evaluations/{eid}/calibrations", content=CALIBRATION.read_bytes(),
                              headers={**bearer(made[who]), **YAML})
            assert response.status_code == 403
            assert c.get(f"/v1/evaluations/{eid}/calibrations", headers=bearer(made[who])).status_code == 403
        wrong = c.post(f"/v1/evaluations/{eid}/calibrations", content=b"{}",
                       headers={**bearer(made["hr"]), "Content-Type": "text/csv"})
        assert wrong.status_code == 415
        assert c.post("/v1/evaluations/nope/calibrations", content=CALIBRATION.read_bytes(),
                      headers={**bearer(made["hr"]), **YAML}).status_code == 404
