"""The evaluation page's employee table from the stored table index: every sort order and filter
gives the rows the results' own values give (stable: equal values in the results' order, empty cells
last either way); a page view is audited as GET /v1/evaluations/{eid} is; a calibration's new version
is shown at once; an evaluation stored before schema 5 (no index) gets its index on its first view,
after the database upgrades in place."""

from __future__ import annotations

import re
from itertools import product
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from serve_helpers import POLICIES, ROOT, bearer, client, settings, tokens_for
from sqlalchemy import text
from test_webapp_sessions import sign_in

from kpi_rules.serve.storage import table_index
from kpi_rules.serve.storage.db import open_engine
from kpi_rules.serve.storage.migrate import LATEST, schema_version
from kpi_rules.serve.web.tables import FILTERS, PAGE_SIZE, SORTS, Table, table_view
from kpi_rules.serve.worker import Job, Outcome, evaluate_job

DATA = ROOT / "examples" / "ops-2024.csv"
CALIBRATION = ROOT / "examples" / "ops-2024-Q2.calibration.yaml"
ROW = re.compile(r'<tr class="st-[a-z_]+"><td><a href="/evaluations/[0-9a-f]+/employees/([^"]+)">')


def _reference(rows: list[dict[str, Any]], sort: str, descending: bool) -> list[int]:
    """The positions by `sort` as Python sorts the rows' own values (the table's order before the index)."""
    def key(i: int) -> Any:
        value = rows[i][sort]
        return value if isinstance(value, (int, float)) else str(value)
    present = sorted((i for i in range(len(rows)) if rows[i][sort] is not None), key=key, reverse=descending)
    return present + [i for i in range(len(rows)) if rows[i][sort] is None]


@pytest.mark.parametrize("period", ["2024-Q2", "2024-Q4"])
def test_every_sort_and_filter_gives_the_rows_the_results_give(period: str) -> None:
    policy = POLICIES / "ops-department.yaml"
    outcome = evaluate_job(Job(policy.read_bytes(), str(policy), DATA.read_bytes(), DATA.name, None, period))
    assert isinstance(outcome, Outcome)
    rows = [orjson.loads(r[3]) for r in outcome.rows]
    table = Table(table_index.decode(outcome.table or b""))
    assert table.choices == {f: sorted({str(r[f]) for r in rows if r.get(f) is not None}) for f in FILTERS}
    both = (("team", "growth"), ("status", "rated"))
    filters = [(), both, *(((f, v),) for f in FILTERS for v in table.choices[f])]
    for sort, descending, active in product(("", *SORTS), (False, True), filters):
        expected = _reference(rows, sort, descending) if sort else list(range(len(rows)))
        expected = [i for i in expected if all(str(rows[i].get(f)) == v for f, v in active)]
        assert table.filtered(sort, descending, active).tolist() == expected, (sort, descending, active)
    view = table_view(table, {"sort": "name", "dir": "desc", "page": "9"})  # past the last page: the last
    wanted = _reference(rows, "name", True)[:PAGE_SIZE]
    assert [r["employee_id"] for r in view["rows"]] == [rows[i]["employee_id"] for i in wanted]
    assert view["rows"][0] == {f: rows[wanted[0]].get(f) for f in SORTS}


def _upload(c: TestClient, hr: dict[str, str]) -> str:
    answer = c.post("/v1/policies/ops-department/evaluations?period=2024-Q2", content=DATA.read_bytes(),
                    headers={**hr, "Content-Type": "text/csv"})
    assert answer.status_code == 201
    return str(answer.json()["evaluation_id"])


def test_a_page_view_is_audited_as_the_route_and_a_calibration_is_shown(tmp_path: Path) -> None:
    tokens = tokens_for(tmp_path / "t.yaml")
    with client(settings(tmp_path, f"sqlite:///{tmp_path / 'db'}", tmp_path / "t.yaml")) as c:
        hr = bearer(tokens["hr"])
        eid = _upload(c, hr)
        route = c.get(f"/v1/evaluations/{eid}", headers=hr).json()
        sign_in(c, tokens["hr"])
        for _ in range(2):
            page = c.get(f"/evaluations/{eid}", params={"sort": "final", "dir": "desc"})
            assert page.status_code == 200
        shown = ROW.findall(page.text)
        by_final = sorted((e for e in route["employees"] if e["final"] is not None), key=lambda e: -e["final"])
        by_final += [e for e in route["employees"] if e["final"] is None]
        assert shown == [e["employee_id"] for e in by_final][:PAGE_SIZE] and len(shown) == 40
        entries = c.get("/v1/audit?limit=1000", headers=hr).json()["items"]
        reads = [e for e in entries if e["target"] == f"/v1/evaluations/{eid}" and e["action"] == "results"]
        assert len(reads) == 3 and len({e["result_sha256"] for e in reads}) == 1  # the route's, then 2 views
        assert {(e["data_sha256"], e["status"]) for e in reads} == {(reads[0]["data_sha256"], 200)}
        calibrated = c.post(f"/v1/evaluations/{eid}/calibrations", content=CALIBRATION.read_bytes(),
                            headers={**hr, "Content-Type": "application/yaml"})
        assert calibrated.status_code == 201, calibrated.text
        after = c.get(f"/v1/evaluations/{eid}", headers=hr).json()
        assert after["summary"] != route["summary"]
        page = c.get(f"/evaluations/{eid}")
        assert f'<dd id="n-rated">{after["summary"]["rated"]}</dd>' in page.text
        grades = {e["employee_id"]: e["grade"] for e in after["employees"]}
        cells = re.findall(r'employees/(E\d+)">E\d+</a></td><td>[^<]*</td><td>[^<]*</td><td>[^<]*</td>'
                           r'<td>[^<]*</td><td>([^<]*)</td>', page.text)
        assert cells and all(grades[e] == (g if g != "—" else None) for e, g in cells)
        assert any(grades[e] != g for e, g in ((e["employee_id"], e["grade"]) for e in route["employees"]))


def test_an_evaluation_stored_before_schema_5_gets_its_index_on_first_view(tmp_path: Path) -> None:
    tokens = tokens_for(tmp_path / "t.yaml")
    url = f"sqlite:///{tmp_path / 'db'}"
    with client(settings(tmp_path, url, tmp_path / "t.yaml")) as c:
        eid = _upload(c, bearer(tokens["hr"]))
    engine = open_engine(url)
    made = table_index.get(engine, eid, 1)
    with engine.begin() as conn:  # the database as schema 4 left it
        conn.execute(text("DROP TABLE evaluation_tables"))
        conn.execute(text("UPDATE kpi_schema_version SET version = 4"))
    with client(settings(tmp_path, url, tmp_path / "t.yaml")) as c:
        assert schema_version(engine) == LATEST == 5
        assert table_index.get(engine, eid, 1) is None
        sign_in(c, tokens["hr"])
        page = c.get(f"/evaluations/{eid}", params={"team": "growth"})
        assert page.status_code == 200 and ROW.findall(page.text)
        again = table_index.get(engine, eid, 1)
        assert made and again and table_index.decode(again) == table_index.decode(made)  # as made at upload
    engine.dispose()


def test_the_trend_shows_each_period_once_the_one_read_or_the_newest(tmp_path: Path) -> None:
    tokens = tokens_for(tmp_path / "t.yaml")
    with client(settings(tmp_path, f"sqlite:///{tmp_path / 'db'}", tmp_path / "t.yaml")) as c:
        hr = bearer(tokens["hr"])
        ids = {}
        for period in ("2024-Q1", "2024-Q2", "2024-Q2", "2024-Q3"):
            answer = c.post(f"/v1/policies/ops-department/evaluations?period={period}", content=DATA.read_bytes(),
                            headers={**hr, "Content-Type": "text/csv"})
            assert answer.status_code == 201
            ids.setdefault(period, []).append(answer.json()["evaluation_id"])
        sign_in(c, tokens["hr"])
        trend_row = re.compile(r'<tr(?: aria-current="true")?><td><a href="/evaluations/([0-9a-f]+)/employees/E002">'
                               r'(2024-Q\d)</a>')
        for viewed, q2 in ((ids["2024-Q2"][0], ids["2024-Q2"][0]), (ids["2024-Q3"][0], ids["2024-Q2"][1])):
            page = c.get(f"/evaluations/{viewed}/employees/E002")
            assert page.status_code == 200
            assert trend_row.findall(page.text) == [(ids["2024-Q1"][0], "2024-Q1"), (q2, "2024-Q2"),
                                                    (ids["2024-Q3"][0], "2024-Q3")]


def test_the_employee_page_names_indicators_roles_and_items_in_the_policys_words(tmp_path: Path) -> None:
    tokens = tokens_for(tmp_path / "t.yaml")
    with client(settings(tmp_path, f"sqlite:///{tmp_path / 'db'}", tmp_path / "t.yaml")) as c:
        eid = _upload(c, bearer(tokens["hr"]))
        sign_in(c, tokens["hr"])
        page = c.get(f"/evaluations/{eid}/employees/E001", params={"lang": "en"}).text
        assert "<dt>Role</dt><dd>运营经理</dd>" in page
        assert "<td>用户活跃度 <small><code>active_users</code></small></td>" in page
        assert "<dt>Bonuses</dt><dd>1 (知识分享)</dd>" in page
        assert "<dt>Deductions</dt><dd>2 (数据报告延迟)</dd>" in page
