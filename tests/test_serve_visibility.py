"""Who sees what (SERVICE.md 2 and 7), table-driven: each role x each route x own / same team /
other team / other employee. Bodies are searched for other teams' employee ids and names."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from serve_helpers import ROOT, bearer, client, settings

from kpi_rules.serve.identity import add_token

DATA = (ROOT / "examples" / "ops-2024.csv").read_bytes()
IDENTITIES = {  # name -> role, teams, employee
    "hr": ("hr", (), None), "svc": ("service", (), None), "mgr": ("manager", ("growth",), None),
    "mgr2": ("manager", ("growth", "content"), None), "nobody-mgr": ("manager", ("no-such-team",), None),
    "emp": ("employee", (), "E001"), "ghost": ("employee", (), "E999"),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str], str, Any]]:
    tmp = tmp_path_factory.mktemp("visibility")
    tokens = tmp / "tokens.yaml"
    made = {name: add_token(tokens, name, *spec) for name, spec in IDENTITIES.items()}
    with TestClient(client(settings(tmp, f"sqlite:///{tmp / 'db'}", tokens)).app) as c:
        response = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"}, content=DATA,
                          headers={**bearer(made["svc"]), "Content-Type": "text/csv"})
        assert response.status_code == 201
        eid = response.json()["evaluation_id"]
        full = c.get(f"/v1/evaluations/{eid}", headers=bearer(made["hr"])).json()
        yield c, made, eid, full


def _people(full: Any, keep: set[str]) -> list[str]:
    """Ids and names of the employees outside `keep` teams: none of them may show."""
    out = []
    for e in full["employees"]:
        if e["team"] not in keep:
            out += [f'"{e["employee_id"]}"', e["employee_id"] + ")", e["name"]]
    return out


def _assert_no_leak(body: str, forbidden: list[str]) -> None:
    leaked = [word for word in forbidden if word in body]
    assert not leaked, f"leaked: {leaked[:5]}"


# route template, then per identity: the status expected (own = E001 of growth, mate = E002 of growth,
# other = E011 of content)
MATRIX: list[tuple[str, str, dict[str, int]]] = [
    ("GET", "/v1/evaluations/{eid}", {"hr": 200, "svc": 200, "mgr": 200, "mgr2": 200, "nobody-mgr": 404,
                                      "emp": 200, "ghost": 404}),
    ("GET", "/v1/evaluations/{eid}/employees/E001", {"hr": 200, "svc": 200, "mgr": 200, "mgr2": 200,
                                                     "nobody-mgr": 404, "emp": 200, "ghost": 404}),
    ("GET", "/v1/evaluations/{eid}/employees/E002", {"hr": 200, "svc": 200, "mgr": 200, "mgr2": 200,
                                                     "nobody-mgr": 404, "emp": 404, "ghost": 404}),
    ("GET", "/v1/evaluations/{eid}/employees/E011", {"hr": 200, "svc": 200, "mgr": 404, "mgr2": 200,
                                                     "nobody-mgr": 404, "emp": 404, "ghost": 404}),
    ("GET", "/v1/evaluations/{eid}/employees/E021", {"hr": 200, "svc": 200, "mgr": 404, "mgr2": 404,
                                                     "nobody-mgr": 404, "emp": 404, "ghost": 404}),
    ("GET", "/v1/evaluations/{eid}/employees/E001/explain", {"hr": 200, "svc": 200, "mgr": 200, "mgr2": 200,
                                                             "nobody-mgr": 404, "emp": 200, "ghost": 404}),
    ("GET", "/v1/evaluations/{eid}/employees/E002/explain?format=json", {
        "hr": 200, "svc": 200, "mgr": 200, "mgr2": 200, "nobody-mgr": 404, "emp": 404, "ghost": 404}),
    ("GET", "/v1/evaluations/{eid}/employees/E011/explain", {"hr": 200, "svc": 200, "mgr": 404, "mgr2": 200,
                                                             "nobody-mgr": 404, "emp": 404, "ghost": 404}),
    ("GET", "/v1/evaluations/{eid}/report?format=csv", {"hr": 200, "svc": 200, "mgr": 200, "mgr2": 200,
                                                        "nobody-mgr": 404, "emp": 200, "ghost": 404}),
    ("GET", "/v1/evaluations/{eid}/report?format=html", {"hr": 200, "svc": 200, "mgr": 200, "mgr2": 200,
                                                         "nobody-mgr": 404, "emp": 200, "ghost": 404}),
    ("GET", "/v1/evaluations/{eid}/report?format=md", {"hr": 200, "svc": 200, "mgr": 200, "mgr2": 200,
                                                       "nobody-mgr": 404, "emp": 200, "ghost": 404}),
    ("GET", "/v1/evaluations/{eid}/report?format=xlsx", {"hr": 200, "svc": 200, "mgr": 200, "mgr2": 200,
                                                         "nobody-mgr": 404, "emp": 200, "ghost": 404}),
    ("GET", "/v1/evaluations/{eid}/report?format=md&employee_id=E011", {
        "hr": 200, "svc": 200, "mgr": 404, "mgr2": 200, "nobody-mgr": 404, "emp": 404, "ghost": 404}),
    ("GET", "/v1/evaluations/{eid}/report?format=html&employee_id=E002", {
        "hr": 200, "svc": 200, "mgr": 200, "mgr2": 200, "nobody-mgr": 404, "emp": 404, "ghost": 404}),
    ("GET", "/v1/evaluations/nope/employees/E011", {"hr": 404, "svc": 404, "mgr": 404, "mgr2": 404,
                                                    "nobody-mgr": 404, "emp": 404, "ghost": 404}),
    ("DELETE", "/v1/evaluations/nope", {"hr": 404, "svc": 403, "mgr": 403, "mgr2": 403, "nobody-mgr": 403,
                                        "emp": 403, "ghost": 403}),
    ("POST", "/v1/policies/ops-department/evaluations?period=2024-Q2", {
        "hr": 415, "svc": 415, "mgr": 403, "mgr2": 403, "nobody-mgr": 403, "emp": 403, "ghost": 403}),
    ("GET", "/v1/audit", {"hr": 200, "svc": 403, "mgr": 403, "mgr2": 403, "nobody-mgr": 403, "emp": 403,
                          "ghost": 403}),
]
SCOPE = {"hr": None, "svc": None, "mgr": {"growth"}, "mgr2": {"growth", "content"}, "nobody-mgr": set(),
         "emp": {"growth"}, "ghost": set()}


@pytest.mark.parametrize(("method", "route", "expected"), MATRIX, ids=[f"{m} {r}" for m, r, _ in MATRIX])
@pytest.mark.parametrize("who", list(IDENTITIES))
def test_matrix(world: tuple[TestClient, dict[str, str], str, Any], method: str, route: str,
                expected: dict[str, int], who: str) -> None:
    c, made, eid, full = world
    response = c.request(method, route.format(eid=eid), headers=bearer(made[who]))
    assert response.status_code == expected[who], response.text
    body = response.text
    if response.headers.get("content-type", "").startswith("application/vnd.openxmlformats"):
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        body = "\n".join(f'"{v}"\n{v})\n{v}' for sheet in book.worksheets
                         for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
    keep = SCOPE[who]
    if keep is not None:
        forbidden = _people(full, keep)
        if who == "emp":  # an employee sees no teammate either
            forbidden = [w for e in full["employees"] if e["employee_id"] != "E001"
                         for w in (f'"{e["employee_id"]}"', e["name"])]
        _assert_no_leak(body, forbidden)


def test_a_managers_document(world: tuple[TestClient, dict[str, str], str, Any]) -> None:
    c, made, eid, full = world
    mine = c.get(f"/v1/evaluations/{eid}", headers=bearer(made["mgr"])).json()
    assert {e["team"] for e in mine["employees"]} == {"growth"}
    assert [t["team"] for t in mine["teams"]] == ["growth"]
    assert mine["distribution"]["groups"] == []  # scope all: never all theirs
    rows = [e for e in full["employees"] if e["team"] == "growth"]
    assert mine["summary"]["rows"] == len(rows) == len(mine["employees"])
    assert mine["summary"]["rated"] == sum(e["status"] == "rated" for e in rows)
    assert sum(mine["summary"]["grades"].values()) == mine["summary"]["rated"]
    assert mine["data"]["rows"] < full["data"]["rows"]
    assert sum(mine["data"]["other_periods"].values()) < sum(full["data"]["other_periods"].values())
    assert mine["data"]["sha256"] == full["data"]["sha256"]
    listed = c.get("/v1/evaluations", headers=bearer(made["mgr"])).json()["items"]
    assert listed[0]["counts"]["rows"] == len(rows)
    assert c.get("/v1/evaluations", headers=bearer(made["nobody-mgr"])).json()["items"] == []


def test_an_employees_document(world: tuple[TestClient, dict[str, str], str, Any]) -> None:
    c, made, eid, _ = world
    mine = c.get(f"/v1/evaluations/{eid}", headers=bearer(made["emp"])).json()
    assert [e["employee_id"] for e in mine["employees"]] == ["E001"]
    assert mine["teams"] == [] and mine["distribution"]["groups"] == []
    assert mine["summary"]["rows"] == 1
    assert mine["data"]["rows"] == 4 and sum(mine["data"]["other_periods"].values()) == 3
    listed = c.get("/v1/evaluations", headers=bearer(made["emp"])).json()["items"]
    assert listed[0]["counts"] == {"rows": 1, "rated": 1, "not_rated": 0, "error": 0}
    assert c.get("/v1/evaluations", headers=bearer(made["ghost"])).json()["items"] == []


def test_probing_is_audited(world: tuple[TestClient, dict[str, str], str, Any]) -> None:
    c, made, eid, _ = world
    c.get(f"/v1/evaluations/{eid}/employees/E011", headers=bearer(made["mgr"]))
    entries = c.get("/v1/audit", params={"limit": 5000}, headers=bearer(made["hr"])).json()["items"]
    assert len(entries) <= 1000
    probe = [e for e in entries if e["actor"] == "mgr" and e["target"].endswith("/employees/E011")]
    assert probe and probe[-1]["status"] == 404 and probe[-1]["role"] == "manager"
    assert all(json.dumps(e, ensure_ascii=False).count("王建国") == 0 for e in entries)
