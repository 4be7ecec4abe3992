"""Issue 15 (the web app) as an HR analyst and a manager found it by hand: the page language, the
figures on the employee page, the quota checks and the downloads (each test names its item)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from serve_helpers import ROOT, bearer, client, settings, tokens_for
from test_webapp_sessions import sign_in

DATA = ROOT / "examples" / "ops-2024.csv"


@pytest.fixture()
def web(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], str]]:
    made = tokens_for(tmp_path / "tokens.yaml")
    with client(settings(tmp_path, f"sqlite:///{tmp_path / 'db'}", tmp_path / "tokens.yaml")) as c:
        created = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"},
                         content=DATA.read_bytes(), headers={**bearer(made["hr"]), "Content-Type": "text/csv"})
        assert created.status_code == 201, created.text
        yield c, made, created.json()["evaluation_id"]


def test_a_quota_minimum_not_reached_says_so(web: tuple[TestClient, dict[str, str], str]) -> None:
    """Item 4: "quota checks": a minimum share that is not reached reads "Not met", not "Not rated"."""
    c, made, _ = web
    lines = DATA.read_text(encoding="utf-8").splitlines()
    nine = [lines[0]] + [r for r in lines[1:] if ",growth,2024-Q2," in r and not r.startswith("E001,")]
    created = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"},
                     content="\n".join(nine).encode(), headers={**bearer(made["hr"]), "Content-Type": "text/csv"})
    assert created.json()["summary"]["grades"].get("D") is None
    sign_in(c, made["hr"])
    page = c.get(f"/evaluations/{created.json()['evaluation_id']}?lang=en").text
    assert re.search(r"<tr><td>D</td>\s*<td>≥ 5%</td>\s*<td>1</td><td>0</td>\s*<td>Not met</td>", page)
    zh = c.get(f"/evaluations/{created.json()['evaluation_id']}?lang=zh-CN").text
    assert re.search(r"<tr><td>D</td>\s*<td>≥ 5%</td>\s*<td>1</td><td>0</td>\s*<td>未满足</td>", zh)


def test_the_employee_page_is_in_its_policys_language(web: tuple[TestClient, dict[str, str], str]) -> None:
    """Item 8: "every page in zh-CN and en (the policy's locale by default ...)": the first policy
    (customer-support) is English, ops-department is zh-CN, so its employee page is too."""
    c, made, eid = web
    sign_in(c, made["hr"])
    page = c.get(f"/evaluations/{eid}/employees/E002")
    assert page.status_code == 200
    assert '<html lang="zh-CN"' in page.text and "<dt>团队</dt>" in page.text
    assert '<html lang="en"' in c.get(f"/evaluations/{eid}/employees/E002?lang=en").text


def test_the_employee_page_shows_small_targets_as_they_are(web: tuple[TestClient, dict[str, str], str]) -> None:
    """Item 5: every indicator's actual and target: a paid-conversion target of 0.025 is not "0.03"."""
    c, made, eid = web
    sign_in(c, made["hr"])
    page = c.get(f"/evaluations/{eid}/employees/E002?lang=en").text
    row = re.search(r"<tr><td>付费转化率 <small><code>paid_conversion</code></small></td>(.*?)</tr>", page)
    assert row is not None
    cells = re.findall(r"<td>(.*?)</td>", row.group(1))
    assert cells[:2] == ["0.0238", "0.025"]


def test_the_whatif_page_is_in_its_policys_language(web: tuple[TestClient, dict[str, str], str]) -> None:
    """Item 8: "every page in zh-CN and en (the policy's locale by default ...)": the what-if page of
    ops-department (zh-CN) is in Chinese though the first policy is English, before and after Compare."""
    c, made, eid = web
    csrf = sign_in(c, made["hr"])
    form = c.get("/whatif", params={"policy": "ops-department", "evaluation": eid})
    assert form.status_code == 200 and '<html lang="zh-CN"' in form.text
    source = c.get("/v1/policies/ops-department", headers=bearer(made["hr"])).json()["source"]
    compared = c.post("/whatif", data={"policy": "ops-department", "evaluation": eid, "source": source,
                                       "csrf": csrf, "do": "compare"})
    assert compared.status_code == 200 and '<html lang="zh-CN"' in compared.text
    assert '<html lang="en"' in c.get("/whatif", params={"policy": "customer-support"}).text
