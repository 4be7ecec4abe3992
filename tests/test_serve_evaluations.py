"""Evaluations over HTTP give what the CLI gives: byte-identical results for hr, the same
explain text; uploads by media type or multipart; limits; delete. In-process client."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from serve_helpers import DB_KINDS, POLICIES, ROOT, client, database, settings

EXAMPLES = ROOT / "examples"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CASES = [  # policy, data file, media type, period
    ("ops-department", "ops-2024.csv", "text/csv", "2024-Q2"),
    ("ops-department", "ops-2024.csv", "text/csv", "2024"),
    ("ops-department", "ops-2024.json", "application/json", "2024-Q3"),
    ("ops-department", "ops-2024.xlsx", XLSX, "2024-Q2"),
    ("customer-support", "support-2024.csv", "text/csv", "2024-03"),
]


def cli(*args: str) -> bytes:
    return subprocess.run([sys.executable, "-m", "kpi_rules", *args], capture_output=True, check=False).stdout


def upload(c: TestClient, policy: str, name: str, kind: str, period: str, headers: dict[str, str] | None = None,
           filename: str | None = None) -> str:
    response = c.post(f"/v1/policies/{policy}/evaluations", params={"period": period},
                      content=(EXAMPLES / name).read_bytes(),
                      headers={"Content-Type": kind, **(headers or {}),
                               "Content-Disposition": f'attachment; filename="{filename or name}"'})
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/evaluations/{body['evaluation_id']}"
    assert set(body) == {"evaluation_id", "policy", "period", "summary"}
    eid: str = body["evaluation_id"]
    return eid


@pytest.mark.parametrize("kind", DB_KINDS)
@pytest.mark.parametrize(("policy", "name", "media", "period"), CASES)
def test_results_are_byte_identical_to_the_cli(kind: str, tmp_path: Path, policy: str, name: str, media: str,
                                               period: str) -> None:
    with database(kind, tmp_path) as url, TestClient(create(tmp_path, url)) as c:
        eid = upload(c, policy, name, media, period)
        served = c.get(f"/v1/evaluations/{eid}")
        assert served.status_code == 200 and served.headers["content-type"] == "application/json"
        expected = cli("evaluate", str(POLICIES / f"{policy}.yaml"), "--data", str(EXAMPLES / name), "--period", period)
        assert served.content == expected
        listed = c.get("/v1/evaluations").json()["items"]
        assert [i["evaluation_id"] for i in listed] == [eid]


def create(tmp_path: Path, url: str, **more: object) -> FastAPI:
    app = client(settings(tmp_path, url, **more)).app
    assert isinstance(app, FastAPI)
    return app


def test_explain_and_one_employee(tmp_path: Path) -> None:
    with TestClient(create(tmp_path, f"sqlite:///{tmp_path / 'db'}")) as c:
        eid = upload(c, "ops-department", "ops-2024.csv", "text/csv", "2024-Q2")
        text = c.get(f"/v1/evaluations/{eid}/employees/E001/explain")
        expected = cli("explain", str(POLICIES / "ops-department.yaml"), "--data", str(EXAMPLES / "ops-2024.csv"),
                       "--period", "2024-Q2", "--employee", "E001")
        assert text.status_code == 200 and text.headers["content-type"].startswith("text/plain")
        assert text.content == expected
        as_json = c.get(f"/v1/evaluations/{eid}/employees/E001/explain", params={"format": "json"}).json()
        assert "\n".join(as_json["lines"]) + "\n" == expected.decode()
        one = c.get(f"/v1/evaluations/{eid}/employees/E001").json()
        assert one["employee_id"] == "E001" and one["team"] == "growth"
        assert c.get(f"/v1/evaluations/{eid}/employees/E999").status_code == 404
        assert c.get(f"/v1/evaluations/{eid}/employees/E999/explain").status_code == 404
        assert c.get(f"/v1/evaluations/{eid}/employees/E001/explain", params={"format": "pdf"}).status_code == 422


def test_explain_in_the_language_asked_never_the_other_s_from_the_cache(tmp_path: Path) -> None:
    args = ("explain", str(POLICIES / "ops-department.yaml"), "--data", str(EXAMPLES / "ops-2024.csv"),
            "--period", "2024-Q2", "--employee", "E025")
    zh, en = cli(*args), cli(*args, "--lang", "en")
    assert en.startswith("韩梅 (E025) — 运营专员, team channel, 2024-Q2\nStatus: not rated\n".encode())
    assert zh.startswith("韩梅(E025)— 运营专员,团队 channel,2024-Q2\n状态:未评定\n".encode())
    with TestClient(create(tmp_path, f"sqlite:///{tmp_path / 'db'}")) as c:
        eid = upload(c, "ops-department", "ops-2024.csv", "text/csv", "2024-Q2")
        url = f"/v1/evaluations/{eid}/employees/E025/explain"
        # the same employee, zh then en then zh: each served (the second time from the cache) in its own words
        assert [c.get(url, params=p).content for p in ({}, {"lang": "en"}, {"lang": "zh-CN"}, {}, {"lang": "en"})] \
            == [zh, en, zh, zh, en]
        as_json = c.get(url, params={"lang": "en", "format": "json"}).json()
        assert "\n".join(as_json["lines"]) + "\n" == en.decode()
        wrong = c.get(url, params={"lang": "xx"})
        assert wrong.status_code == 422 and wrong.headers["content-type"] == "application/problem+json"
        assert wrong.json()["status"] == 422


def test_multipart_and_file_names(tmp_path: Path) -> None:
    with TestClient(create(tmp_path, f"sqlite:///{tmp_path / 'db'}")) as c:
        data = (EXAMPLES / "ops-2024.csv").read_bytes()
        response = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"},
                          files={"data": ("../../secret/ops-2024.csv", data, "text/csv")})
        assert response.status_code == 201, response.text
        doc = c.get(response.headers["location"]).json()
        assert doc["data"]["file"] == "ops-2024.csv"
        raw = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"}, content=data,
                     headers={"Content-Type": "text/csv"})
        assert c.get(raw.headers["location"]).json()["data"]["file"] == "upload"
        star = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"}, content=data,
                      headers={"Content-Type": "text/csv",
                               "Content-Disposition": "attachment; filename*=UTF-8''%E6%95%B0%E6%8D%AE.csv"})
        assert c.get(star.headers["location"]).json()["data"]["file"] == "数据.csv"


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<x/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * 40_000_000)
    return buffer.getvalue()


BAD = [  # body, media type, query, status
    (b"employee_id,period\nE1,2024-Q2\n", "application/pdf", {"period": "2024-Q2"}, 415),
    (b"employee_id,period\nE1,2024-Q2\n", "", {"period": "2024-Q2"}, 415),
    (b"\xff\xfe\x00garbage", XLSX, {"period": "2024-Q2"}, 422),
    (b"[" * 100_000 + b"]" * 100_000, "application/json", {"period": "2024-Q2"}, 422),
    ((EXAMPLES / "ops-2024.csv").read_bytes(), "text/csv", {"period": "2031-Q1"}, 422),
    ((EXAMPLES / "ops-2024.csv").read_bytes(), "text/csv", {"period": "2024-Q9"}, 422),
    ((EXAMPLES / "ops-2024.csv").read_bytes(), "text/csv", {}, 422),
    ((EXAMPLES / "ops-2024.csv").read_bytes(), "text/csv", {"period": "2024-Q2", "column": "broken"}, 422),
    ((EXAMPLES / "ops-2024.csv").read_bytes(), "text/csv", {"period": "2024-Q2", "encoding": "klingon"}, 422),
    (b"employee_id,period\n", "text/csv", {"period": "2024-Q2"}, 422),
]


@pytest.mark.parametrize(("body", "media", "query", "status"), BAD)
def test_bad_input(tmp_path: Path, body: bytes, media: str, query: dict[str, str], status: int) -> None:
    with TestClient(create(tmp_path, f"sqlite:///{tmp_path / 'db'}")) as c:
        response = c.post("/v1/policies/ops-department/evaluations", params=query, content=body,
                          headers={"Content-Type": media} if media else {})
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert "Traceback" not in response.text
        assert c.get("/v1/evaluations").json()["items"] == []


def test_zip_bomb_is_422(tmp_path: Path) -> None:
    with TestClient(create(tmp_path, f"sqlite:///{tmp_path / 'db'}")) as c:
        response = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"},
                          content=_zip_bomb(), headers={"Content-Type": XLSX})
        assert response.status_code == 422, response.text


def test_limits(tmp_path: Path) -> None:
    data = (EXAMPLES / "ops-2024.csv").read_bytes()
    with TestClient(create(tmp_path, f"sqlite:///{tmp_path / 'db'}", max_upload=len(data) - 1,
                           max_rows=100)) as c:
        big = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"}, content=data,
                     headers={"Content-Type": "text/csv"})
        assert big.status_code == 413

        def chunks() -> Iterator[bytes]:
            yield from (data[i:i + 1000] for i in range(0, len(data), 1000))

        streamed = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"},
                          content=chunks(), headers={"Content-Type": "text/csv"})
        assert streamed.status_code == 413
    with TestClient(create(tmp_path, f"sqlite:///{tmp_path / 'db2'}", max_rows=100)) as c:
        rows = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"}, content=data,
                      headers={"Content-Type": "text/csv"})
        assert rows.status_code == 413 and "max-rows" in rows.json()["detail"]


def test_delete_erases_and_keeps_the_audit(tmp_path: Path) -> None:
    with TestClient(create(tmp_path, f"sqlite:///{tmp_path / 'db'}")) as c:
        eid = upload(c, "ops-department", "ops-2024.csv", "text/csv", "2024-Q2")
        assert c.delete(f"/v1/evaluations/{eid}").status_code == 204
        assert c.get(f"/v1/evaluations/{eid}").status_code == 404
        assert c.delete(f"/v1/evaluations/{eid}").status_code == 404
        assert c.get("/v1/evaluations").json()["items"] == []
        entries = c.get("/v1/audit").json()["items"]
        actions = [(e["action"], e["status"]) for e in entries if eid in e["target"]]
        assert ("evaluate", 201) in actions and ("delete", 204) in actions and ("results", 404) in actions
        created = next(e for e in entries if e["action"] == "evaluate")
        assert created["policy"]["id"] == "ops-department" and len(created["data_sha256"]) == 64
        assert len(created["result_sha256"]) == 64
        assert c.get("/v1/audit/verify").json()["ok"] is True


def _whitespace_bomb() -> bytes:
    """A well-formed workbook whose sheet is 300 MB of blanks: it packs to well under 1 MB."""
    good = zipfile.ZipFile(EXAMPLES / "ops-2024.xlsx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for item in good.infolist():
            data = good.read(item)
            if item.filename.startswith("xl/worksheets/"):
                head, tail = data.split(b"<sheetData>", 1)
                data = head + b"<sheetData>" + b" " * 300_000_000 + tail
            z.writestr(item.filename, data)
    return buffer.getvalue()


def test_a_well_formed_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    bomb = _whitespace_bomb()
    assert len(bomb) < 2_000_000
    with TestClient(create(tmp_path, f"sqlite:///{tmp_path / 'db'}")) as c:
        response = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"},
                          content=bomb, headers={"Content-Type": XLSX})
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert "would unpack to 28" in detail and "no real workbook does" in detail, detail
        assert c.get("/v1/evaluations").json()["items"] == []


def test_a_missing_period_is_named_as_the_request_gives_it(tmp_path: Path) -> None:
    with TestClient(create(tmp_path, f"sqlite:///{tmp_path / 'db'}")) as c:
        response = c.post("/v1/policies/ops-department/evaluations",
                          content=(EXAMPLES / "ops-2024.csv").read_bytes(), headers={"Content-Type": "text/csv"})
        assert response.status_code == 422, response.text
        assert response.json()["detail"] == ("the data holds 4 periods (2024-Q1, 2024-Q2, 2024-Q3, 2024-Q4); "
                                             "choose one with period=")


def _post(c: TestClient, data: bytes, **query: object) -> Any:
    return c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2", **query}, content=data,
                  headers={"Content-Type": "text/csv", "Content-Disposition": 'attachment; filename="ops.csv"'})


def test_a_title_row_is_named_as_the_request_gives_it_and_header_row_reads_past_it(tmp_path: Path) -> None:
    data = b"2024 ops appraisal export\n" + (EXAMPLES / "ops-2024.csv").read_bytes()
    with TestClient(create(tmp_path, f"sqlite:///{tmp_path / 'db'}")) as c:
        refused = _post(c, data)
        assert refused.status_code == 422, refused.text
        detail = refused.json()["detail"]
        assert detail == (
            "ops.csv: none of the policy's columns (employee_id, role, visits, active_users, registrations, "
            "paid_users, ...) is in the file, whose header reads: 2024 ops appraisal export; if the column names "
            "are on a later row (a title above them), pass header_row=N; if they are named differently, map each "
            "with column=NAME=HEADER")
        assert refused.json()["problems"] == [{"message": detail, "file": "ops.csv"}]
        assert _post(c, data, header_row=1).json()["detail"] == detail
        past = _post(c, data, header_row=40_000)
        assert past.json()["detail"] == "ops.csv: header_row=40000: the file has fewer rows than that"
        read = _post(c, data, header_row=2)
        assert read.status_code == 201, read.text
        assert read.json()["summary"]["rows"] == 40


def test_a_renamed_column_is_named_as_the_request_gives_it_and_column_maps_it(tmp_path: Path) -> None:
    header, rest = (EXAMPLES / "ops-2024.csv").read_bytes().split(b"\n", 1)
    data = header.replace(b"paid_users", b"Paid Users") + b"\n" + rest
    with TestClient(create(tmp_path, f"sqlite:///{tmp_path / 'db'}")) as c:
        refused = _post(c, data)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"] == ("ops.csv: the required column `paid_users` is not in the file, but "
                                            "`Paid Users` is: if it is the same, pass column=paid_users=Paid Users")
        missing = _post(c, data, column="paid_users=Paid users")
        assert missing.json()["detail"] == "ops.csv: column=paid_users=Paid users: there is no column `Paid users`"
        read = _post(c, data, column="paid_users=Paid Users")
        assert read.status_code == 201, read.text
        assert read.json()["summary"]["rows"] == 40
