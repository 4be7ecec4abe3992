"""SERVICE.md sentences a new integrator tried by hand and found not to hold (each test names its section)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from serve_helpers import ROOT, bearer, client, settings, tokens_for

DATA = ROOT / "examples" / "ops-2024.csv"


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], str]]:
    made = tokens_for(tmp_path / "tokens.yaml")
    c = TestClient(client(settings(tmp_path, f"sqlite:///{tmp_path / 'db'}", tmp_path / "tokens.yaml")).app)
    with c:
        created = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"},
                         content=DATA.read_bytes(), headers={**bearer(made["hr"]), "Content-Type": "text/csv"})
        assert created.status_code == 201, created.text
        yield c, made, created.json()["evaluation_id"]


@pytest.mark.parametrize("kind", ["text/plain", "application/xml", "text/csv", "application/x-www-form-urlencoded"])
def test_diff_in_a_content_type_it_does_not_read_is_415(served: tuple[TestClient, dict[str, str], str],
                                                         kind: str) -> None:
    """Section 4: "a content type it does not read | 415" (POST /v1/diff reads JSON)."""
    c, made, eid = served
    body = json.dumps({"policy": "ops-department", "base": {"ref": "HEAD"}, "head": {"ref": "HEAD"},
                       "evaluation_id": eid})
    response = c.post("/v1/diff", content=body, headers={**bearer(made["hr"]), "Content-Type": kind})
    assert response.status_code == 415, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["status"] == 415 and "application/json" in problem["detail"]
    entries = c.get("/v1/audit", params={"limit": 1000}, headers=bearer(made["hr"])).json()["items"]
    assert [(e["action"], e["status"], e["actor"]) for e in entries[-1:]] == [("diff", 415, "hr")]


def _cells(body: bytes) -> dict[str, list[str]]:
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    return {sheet.title: [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
            for sheet in book.worksheets}


def test_an_employees_workbook_holds_only_their_own_figures(
        served: tuple[TestClient, dict[str, str], str]) -> None:
    """Section 7: "An employee's review sheet from the service holds only their own figures: no team
    section, no averages, no distribution" (section 2: "without any team grade distribution")."""
    c, made, eid = served
    own = c.get(f"/v1/evaluations/{eid}/report", params={"format": "xlsx"}, headers=bearer(made["emp"]))
    assert own.status_code == 200
    sheets = _cells(own.content)
    everything = _cells(c.get(f"/v1/evaluations/{eid}/report", params={"format": "xlsx"},
                              headers=bearer(made["hr"])).content)
    team_sheets = set(everything) - set(sheets)
    assert len(team_sheets) == 1 and "团队" in team_sheets  # the teams sheet is not in theirs
    summary = sheets["汇总"]
    for heading in ("全部门数据", "最终得分平均值", "等级分布", "强制分布", "团队绩效总览"):
        assert heading in everything["汇总"] and heading not in summary
    assert "E001" in sheets["员工"] and not any(f"E0{n:02d}" in sheets["员工"] for n in range(2, 41))


def test_audit_verify_on_a_missing_database_file_says_so_and_creates_nothing(tmp_path: Path) -> None:
    """Section 1: `kpi-rules audit verify --db URL` checks the audit chain offline: a mistyped path
    is an error in plain words (exit 1), and no empty database is left behind."""
    from click.testing import CliRunner

    from kpi_rules.cli import main

    missing = tmp_path / "typo.db"
    result = CliRunner().invoke(main, ["audit", "verify", "--db", f"sqlite:///{missing}"])
    assert result.exit_code == 1
    assert result.output.strip() == f"error: no database file at {missing}"
    assert not missing.exists()


def test_every_list_takes_a_limit_served_up_to_1000(served: tuple[TestClient, dict[str, str], str]) -> None:
    """Section 7: "Lists: /v1/policies, /v1/policies/{id}/history, /v1/evaluations, /v1/audit. A
    `limit` above 1000 is served as 1000"; section 3: evaluations are listed newest first."""
    c, made, first = served
    second = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q3"},
                    content=DATA.read_bytes(), headers={**bearer(made["hr"]), "Content-Type": "text/csv"})
    hr = bearer(made["hr"])
    newest = c.get("/v1/evaluations", params={"limit": 1}, headers=hr)
    assert newest.status_code == 200
    assert [i["evaluation_id"] for i in newest.json()["items"]] == [second.json()["evaluation_id"]]
    assert len(c.get("/v1/evaluations", params={"limit": 5000}, headers=hr).json()["items"]) == 2
    assert [p["id"] for p in c.get("/v1/policies", params={"limit": 1}, headers=hr).json()["items"]] == [
        "customer-support"]
    for path in ("/v1/policies", "/v1/audit", "/v1/policies/ops-department/history"):
        assert c.get(path, params={"limit": 5000}, headers=hr).status_code == 200, path
    assert first != second.json()["evaluation_id"]


@pytest.mark.parametrize("header", [
    'attachment; filename="数据 2024.csv"'.encode(),  # the raw UTF-8 name curl and HRIS clients send
    b"attachment; filename*=UTF-8''%E6%95%B0%E6%8D%AE%202024.csv",
    'attachment; filename="C:\\\\HR\\\\数据 2024.csv"'.encode(),
])
def test_a_raw_bodys_utf8_file_name_is_kept(served: tuple[TestClient, dict[str, str], str], header: bytes) -> None:
    """Section 3: "The results' `data.file` is the uploaded file's name: ... `Content-Disposition:
    attachment; filename=...` on a raw body"; section 7: its last path component."""
    c, made, _ = served
    created = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"},
                     content=DATA.read_bytes(), headers={**bearer(made["hr"]), "Content-Type": "text/csv",
                                                         "Content-Disposition": header})
    assert created.status_code == 201, created.text
    got = c.get(f"/v1/evaluations/{created.json()['evaluation_id']}", headers=bearer(made["hr"]))
    assert got.json()["data"]["file"] == "数据 2024.csv"


@pytest.mark.parametrize("after", ["9223372036854775808", "99999999999999999999999"])
def test_an_audit_cursor_past_any_seq_is_a_problem_not_a_500(served: tuple[TestClient, dict[str, str], str],
                                                            after: str) -> None:
    """Section 3: errors are problem documents and "No response ever carries a stack trace": an
    `after=` beyond a 64-bit seq is the caller's mistake (422), not a server failure (500)."""
    c, made, _ = served
    response = c.get("/v1/audit", params={"after": after}, headers=bearer(made["hr"]))
    assert response.status_code == 422, response.text
    assert response.json()["problems"][0]["path"] == "query.after"
    assert c.get("/v1/audit", params={"after": str(2**63 - 1)}, headers=bearer(made["hr"])).json() == {"items": []}
