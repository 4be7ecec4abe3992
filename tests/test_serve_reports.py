"""Reports over HTTP: for hr the same text as `kpi-rules evaluate --format md|html|csv|xlsx` (and the
review sheet of --per-employee); a manager's reports and workbook are computed over their rows alone;
an employee's report is their own review sheet, without any team section."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from serve_helpers import POLICIES, ROOT, bearer, client, settings, tokens_for

DATA = ROOT / "examples" / "ops-2024.csv"
World = tuple[TestClient, dict[str, str], str, Path]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("reports")
    made = tokens_for(tmp / "tokens.yaml")
    with TestClient(client(settings(tmp, f"sqlite:///{tmp / 'db'}", tmp / "tokens.yaml")).app) as c:
        headers = {**bearer(made["hr"]), "Content-Type": "text/csv",
                   "Content-Disposition": "attachment; filename=ops-2024.csv"}
        response = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"},
                          content=DATA.read_bytes(), headers=headers)
        assert response.status_code == 201
        yield c, made, response.json()["evaluation_id"], tmp


def _cli(fmt: str, out: Path) -> None:
    subprocess.run([sys.executable, "-m", "kpi_rules", "evaluate", str(POLICIES / "ops-department.yaml"), "--data",
                    str(DATA), "--period", "2024-Q2", "--format", fmt, "--out", f"{out}/",
                    *(["--per-employee"] if fmt != "csv" else [])], capture_output=True, check=False)


@pytest.mark.parametrize(("fmt", "media"), [("md", "text/markdown"), ("html", "text/html"), ("csv", "text/csv")])
def test_hr_reports_are_the_clis(world: World, fmt: str, media: str) -> None:
    c, made, eid, tmp = world
    out = tmp / f"cli-{fmt}"
    _cli(fmt, out)
    response = c.get(f"/v1/evaluations/{eid}/report", params={"format": fmt}, headers=bearer(made["hr"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{media}; charset=utf-8"
    assert response.text == (out / f"ops-department-2024-Q2.{fmt}").read_text(encoding="utf-8")
    if fmt != "csv":
        sheet = c.get(f"/v1/evaluations/{eid}/report", params={"format": fmt, "employee_id": "E002"},
                      headers=bearer(made["svc"]))
        assert sheet.text == (out / "employees" / "2024-Q2" / f"E002.{fmt}").read_text(encoding="utf-8")


def _ids(text: str) -> set[str]:
    return {row["employee_id"] for row in csv.DictReader(io.StringIO(text))}


def test_filtered_csv(world: World) -> None:
    c, made, eid, _ = world
    full = c.get(f"/v1/evaluations/{eid}/report", params={"format": "csv"}, headers=bearer(made["hr"])).text
    teams: dict[str, Any] = {r["employee_id"]: r["team"] for r in csv.DictReader(io.StringIO(full))}
    mine = c.get(f"/v1/evaluations/{eid}/report", params={"format": "csv"}, headers=bearer(made["mgr"]))
    assert mine.status_code == 200
    assert _ids(mine.text) == {e for e, t in teams.items() if t == "growth"}
    assert set(mine.text.splitlines()) <= set(full.splitlines())  # the same records, byte for byte
    own = c.get(f"/v1/evaluations/{eid}/report", params={"format": "csv"}, headers=bearer(made["emp"]))
    assert _ids(own.text) == {"E001"}


@pytest.mark.parametrize(("who", "query", "status"), [
    ("emp", {"format": "html", "employee_id": "E002"}, 404), ("mgr", {"format": "csv", "employee_id": "E011"}, 404),
    ("mgr", {"format": "md", "employee_id": "E011"}, 404), ("hr", {"format": "csv", "employee_id": "E002"}, 422),
    ("hr", {"format": "pdf"}, 422), ("hr", {"employee_id": "E999"}, 404),
])
def test_refused_reports(world: World, who: str, query: dict[str, str], status: int) -> None:
    c, made, eid, _ = world
    response = c.get(f"/v1/evaluations/{eid}/report", params=query, headers=bearer(made[who]))
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


def _cells(body: bytes) -> list[str]:
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    return [str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row
            if v is not None]


def test_hr_workbook_is_the_clis(world: World) -> None:
    c, made, eid, tmp = world
    out = tmp / "cli.xlsx"
    subprocess.run([sys.executable, "-m", "kpi_rules", "evaluate", str(POLICIES / "ops-department.yaml"), "--data",
                    str(DATA), "--period", "2024-Q2", "--format", "xlsx", "--out", str(out)], check=True,
                   capture_output=True)
    response = c.get(f"/v1/evaluations/{eid}/report", params={"format": "xlsx"}, headers=bearer(made["hr"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert _cells(response.content) == _cells(out.read_bytes())


def test_a_managers_report_is_over_their_rows(world: World) -> None:
    c, made, eid, _ = world
    full = c.get(f"/v1/evaluations/{eid}", headers=bearer(made["hr"])).json()
    growth = [e for e in full["employees"] if e["team"] == "growth"]
    md = c.get(f"/v1/evaluations/{eid}/report", params={"format": "md"}, headers=bearer(made["mgr"]))
    assert md.status_code == 200 and md.headers["content-type"] == "text/markdown; charset=utf-8"
    assert all(e["employee_id"] in md.text for e in growth)
    others = [e for e in full["employees"] if e["team"] != "growth"]
    assert not [e["employee_id"] for e in others if f"{e['employee_id']})" in md.text or e["name"] in md.text]
    teams = {e["team"] for e in others}
    assert not [t for t in teams if f"### {t}" in md.text or f"团队 {t}" in md.text]
    book = c.get(f"/v1/evaluations/{eid}/report", params={"format": "xlsx"}, headers=bearer(made["mgr"]))
    cells = _cells(book.content)
    assert {e["employee_id"] for e in growth} <= set(cells)
    assert not [w for e in others for w in (e["employee_id"], e["name"]) if w in cells]
    assert not [t for t in teams if t in cells]


def test_an_employees_report_is_their_own_sheet(world: World) -> None:
    c, made, eid, _ = world
    full = c.get(f"/v1/evaluations/{eid}", headers=bearer(made["hr"])).json()
    for fmt in ("md", "html"):
        own = c.get(f"/v1/evaluations/{eid}/report", params={"format": fmt}, headers=bearer(made["emp"]))
        assert own.status_code == 200
        same = c.get(f"/v1/evaluations/{eid}/report", params={"format": fmt, "employee_id": "E001"},
                     headers=bearer(made["emp"]))
        assert same.text == own.text
        hr_sheet = c.get(f"/v1/evaluations/{eid}/report", params={"format": fmt, "employee_id": "E001"},
                         headers=bearer(made["hr"])).text
        assert "E001" in own.text and len(own.text) < len(hr_sheet)  # the hr sheet has the team section
        if fmt == "html":
            assert 'id="team-h"' in hr_sheet and 'id="team-h"' not in own.text
        mates = [e for e in full["employees"] if e["employee_id"] != "E001"]
        assert not [e["employee_id"] for e in mates if f"{e['employee_id']})" in own.text or e["name"] in own.text]
    book = c.get(f"/v1/evaluations/{eid}/report", params={"format": "xlsx"}, headers=bearer(made["emp"]))
    cells = _cells(book.content)
    assert "E001" in cells and not [e for e in full["employees"] if e["employee_id"] != "E001"
                                    and (e["employee_id"] in cells or e["name"] in cells)]
