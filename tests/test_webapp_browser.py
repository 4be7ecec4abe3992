"""The web app in a real browser (Playwright driving Debian's Chromium) against the real server:
sign-in per role, a period run from an upload, the evaluation, an employee and the explanation,
a what-if checked against `kpi-rules diff`, downloads, visibility by URL, sign-out, CSRF, language,
and on every page: no console error, no failed request, no request to another host, no dialog."""

from __future__ import annotations

import io
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest

from tests.serve_helpers import ROOT
from tests.webapp_helpers import CHROMIUM, KPI, XSS_NAME, Guard, Server, running, xss_data

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install "
                                                         "chromium); the browser tests need it")
DATA = ROOT / "examples" / "ops-2024.csv"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("webapp")
    yield from running(folder)


@pytest.fixture(scope="module")
def xss_eid(server: Server) -> str:
    """An evaluation (2024-Q1) whose E002 is named with markup, uploaded through the API."""
    with server.api("hr") as api:
        raw = xss_data(server.folder).read_bytes()
        answer = api.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q1"}, content=raw,
                          headers={"Content-Type": "text/csv"})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["evaluation_id"])


@pytest.fixture
def guard(server: Server) -> Iterator[Guard]:
    found = Guard(server.url)
    yield found
    assert found.problems == []


def open_as(browser: Any, server: Server, guard: Guard, who: str | None, width: int = 1280) -> Any:
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    guard.attach(page)
    if who is not None:
        page.goto("/signin")
        page.get_by_label("Token").fill(server.tokens[who])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/" + ("evaluations" if who in ("mgr", "emp") else "policies"))
    return page


def hr_evaluation(browser: Any, server: Server, guard: Guard) -> tuple[Any, str]:
    """Sign in as hr, upload the example data through the run page, land on the evaluation page."""
    page = open_as(browser, server, guard, "hr")
    page.goto("/run")
    page.get_by_label("Policy").select_option("ops-department")
    page.get_by_label("Data file (CSV, XLSX, JSON)").set_input_files(str(DATA))
    period = page.get_by_label("Period")
    period.locator("option").nth(4).wait_for(state="attached")  # the file's periods, read by the server
    assert [o.strip() for o in period.locator("option").all_inner_texts()] == \
        ["—", "2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    period.select_option("2024-Q2")
    page.get_by_role("button", name="Evaluate").click()
    page.wait_for_url("**/evaluations/*")
    eid = page.url.rsplit("/", 1)[1]
    assert page.locator("html").get_attribute("lang") == "zh-CN"  # the policy's locale by default
    page.goto(f"/evaluations/{eid}?lang=en")  # kept for the rest of the session
    return page, eid


def test_each_role_signs_in_and_sees_its_pages(browser: Any, server: Server, guard: Guard) -> None:
    expected = {"hr": ["Policies", "Evaluations", "Run a period", "What-if", "Audit log"],
                "svc": ["Policies", "Evaluations", "Run a period", "What-if"],
                "mgr": ["Policies", "Evaluations"], "emp": ["Policies", "Evaluations"]}
    for who, links in expected.items():
        page = open_as(browser, server, guard, who)
        assert page.locator("header nav a").all_inner_texts() == links
        assert who in page.locator(".who").inner_text()
        page.context.close()


def test_a_wrong_token_is_refused(browser: Any, server: Server, guard: Guard) -> None:
    page = open_as(browser, server, guard, None)
    page.goto("/policies")
    page.wait_for_url("**/signin?next=%2Fpolicies")
    page.get_by_label("Token").fill("not-a-token")
    guard.downloads.add(f"{server.url}/signin")
    with page.expect_response(f"{server.url}/signin") as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 401
    assert page.get_by_role("alert").inner_text() == "Token not accepted."
    guard.problems = [p for p in guard.problems if "401" not in p]  # the browser logs the 401 page load


def test_policies_list_and_page(browser: Any, server: Server, guard: Guard) -> None:
    page = open_as(browser, server, guard, "mgr")
    page.goto("/policies")
    assert "运营部门KPI绩效考核方案" in page.locator("table").inner_text()
    page.get_by_role("link", name="运营部门KPI绩效考核方案").click()
    assert page.locator("h1").inner_text() == "运营部门KPI绩效考核方案"
    assert page.locator(".source #L204").inner_text() == "204"
    assert "roles:" in page.locator(".source").inner_text()
    assert page.get_by_role("cell", name="ops_manager").count() >= 1
    assert page.get_by_role("cell", name="policies").count() == 1  # the git history's one commit


def test_a_policy_file_that_does_not_validate_shows_its_problems(browser: Any, server: Server,
                                                                 guard: Guard) -> None:
    broken = server.folder / "policies" / "broken.yaml"
    broken.write_text("apiVersion: kpi-rules/v1\nkind: AppraisalPolicy\nmetadata: {id: broken}\n", encoding="utf-8")
    try:
        page = open_as(browser, server, guard, "hr")
        for _ in range(50):  # the server looks for changed files every 2 s
            page.goto("/policies")
            if page.locator(".problems").count():
                break
            page.wait_for_timeout(200)
        where = page.locator(".problems .where").all_inner_texts()
        assert where and all(re.fullmatch(r"broken\.yaml:\d+:\d+", w) for w in where), where
        assert page.locator("tr.bad").inner_text().startswith("broken.yaml")
    finally:
        broken.unlink()


def test_hr_runs_a_period_and_reads_an_employee(browser: Any, server: Server, guard: Guard) -> None:
    page, eid = hr_evaluation(browser, server, guard)
    with server.api("hr") as api:
        results = api.get(f"/v1/evaluations/{eid}").json()
        explained = api.get(f"/v1/evaluations/{eid}/employees/E001/explain", params={"lang": "en"}).text
    assert page.locator("#n-rated").inner_text() == str(results["summary"]["rated"])
    assert page.locator("#n-not-rated").inner_text() == str(results["summary"]["not_rated"])
    assert page.locator("svg.chart rect").count() == len(results["summary"]["grades"])
    assert page.locator("#teams tbody tr").count() == len(results["teams"])
    page.get_by_label("Team", exact=True).select_option("growth")
    page.get_by_role("button", name="Apply filter").click()
    rows = page.locator("#employees tbody tr")
    growth = [e for e in results["employees"] if e["team"] == "growth"]
    assert rows.count() == len(growth)
    page.get_by_role("link", name="Final").click()
    finals = [float(t) for t in page.locator("#employees tbody tr td:nth-child(5)").all_inner_texts()]
    assert finals == sorted(finals) and len(finals) == len(growth)
    page.get_by_role("link", name="E001", exact=True).click()
    assert page.locator("#explanation").inner_text().strip() == explained.strip()
    # the page's language, not the zh-CN policy's: the English heading, with the policy's role label
    assert page.locator("#explanation").inner_text().split("\n")[:2] == \
        ["王建国 (E001) — 运营经理, team growth, 2024-Q2", "Status: rated"]
    row = next(e for e in results["employees"] if e["employee_id"] == "E001")
    assert page.locator("#indicators tbody tr").count() == len(row["indicators"])
    assert page.locator("#grade").inner_text().startswith(row["grade"])


def test_downloads(browser: Any, server: Server, guard: Guard) -> None:
    page, eid = hr_evaluation(browser, server, guard)
    with server.api("hr") as api:
        as_json = api.get(f"/v1/evaluations/{eid}").content
    got = download_all(page)
    assert got["JSON"] == as_json and len(workbook_ids(got["XLSX"])) == 40
    assert got["CSV"].decode("utf-8-sig").splitlines()[0].startswith("employee_id")
    assert b"<html" in got["HTML"] and "王建国".encode() in got["HTML"]
    assert got["MD"].decode().lstrip().startswith("#")


def download_all(page: Any) -> dict[str, bytes]:
    """Every download the evaluation page offers, clicked: format -> the file."""
    links = page.locator(".downloads a").all_inner_texts()
    assert links == ["JSON", "CSV", "XLSX", "HTML", "MD"]
    got: dict[str, bytes] = {}
    for fmt in links:
        with page.expect_download() as download:
            page.get_by_role("link", name=fmt, exact=True).click()
        assert download.value.failure() is None
        got[fmt] = Path(download.value.path()).read_bytes()
    return got


def workbook_ids(raw: bytes) -> set[str]:
    """The employee ids (E + 3 digits) anywhere in a workbook's cells."""
    book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True)
    found = {str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row
             if isinstance(v, str) and re.fullmatch(r"E\d{3}", v)}
    book.close()
    return found


def test_manager_and_employee_download_only_their_rows(browser: Any, server: Server, guard: Guard,
                                                       xss_eid: str) -> None:
    with server.api("hr") as api:
        everyone = api.get(f"/v1/evaluations/{xss_eid}").json()["employees"]
    teams = {e["employee_id"]: e["team"] for e in everyone}
    growth = {i for i, t in teams.items() if t == "growth"}
    for who, mine in (("mgr", growth), ("emp", {"E001"})):
        page = open_as(browser, server, guard, who)
        page.goto(f"/evaluations/{xss_eid}")
        got = download_all(page)
        assert {e["employee_id"] for e in json.loads(got["JSON"])["employees"]} == mine, who
        lines = got["CSV"].decode("utf-8-sig").splitlines()
        assert lines[0].startswith("employee_id") and {line.split(",")[0] for line in lines[1:]} == mine, who
        assert workbook_ids(got["XLSX"]) == mine, who
        for fmt in ("HTML", "MD"):
            shown = set(re.findall(r"\bE\d{3}\b", got[fmt].decode()))
            assert shown and shown <= mine, (who, fmt, shown - mine)
        page.context.close()


def test_what_if_matches_kpi_rules_diff(browser: Any, server: Server, guard: Guard, tmp_path: Path) -> None:
    page, eid = hr_evaluation(browser, server, guard)
    page.goto(f"/whatif?policy=ops-department&evaluation={eid}")
    page.locator("input[name='set:grades.B.min']").fill("90")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_selector("#matrix")
    shown: dict[str, dict[str, int]] = {}
    for cell in page.locator("#matrix td").all():
        if cell.inner_text().strip():
            shown.setdefault(cell.get_attribute("data-from") or "", {})[cell.get_attribute("data-to") or ""] = \
                int(cell.inner_text())
    source = (server.folder / "policies" / "ops-department.yaml").read_text(encoding="utf-8")
    changed = tmp_path / "ops-department.yaml"
    changed.write_text(source.replace("{grade: B, min: 85,", "{grade: B, min: 90,"), encoding="utf-8")
    cli = subprocess.run([*KPI, "diff", str(server.folder / "policies" / "ops-department.yaml"), str(changed),
                          "--data", str(DATA), "--period", "2024-Q2", "--format", "json"],
                         capture_output=True, check=True)
    expected = json.loads(cli.stdout)
    assert shown == expected["transitions"] and shown["B"].get("C")
    assert page.locator("#changed tbody tr").count() == len(expected["changed"])
    assert page.locator("#pay-after").inner_text() == f"{expected['pay_coefficient_sum']['after']:g}"
    guard.downloads.add(f"{server.url}/whatif")  # a download answers the form: Chromium aborts its navigation
    with page.expect_download() as download:
        page.get_by_role("button", name="Download policy").click()
    assert Path(download.value.path()).read_text(encoding="utf-8") == changed.read_text(encoding="utf-8")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download Markdown diff").click()
    md = Path(download.value.path()).read_text(encoding="utf-8")
    assert "kpi-rules diff" in md and "pay coefficient sum 36.5 -> 35.7" in md
    assert (server.folder / "policies" / "ops-department.yaml").read_text(encoding="utf-8") == source
    page.get_by_label("Policy YAML").fill("apiVersion: kpi-rules/v1\nkind: AppraisalPolicy\n")
    page.wait_for_selector("#problems li")
    assert page.locator("#problems li .where").first.inner_text().count(":") == 1


def test_manager_sees_only_their_team(browser: Any, server: Server, guard: Guard, xss_eid: str) -> None:
    page = open_as(browser, server, guard, "mgr")
    page.goto(f"/evaluations/{xss_eid}")
    teams = page.locator("#employees tbody tr td:nth-child(3)").all_inner_texts()
    assert teams and set(teams) == {"growth"}
    assert page.locator("#teams tbody tr").all_inner_texts()[0].startswith("growth")
    for path, status in ((f"/evaluations/{xss_eid}/employees/E011", 404), ("/audit", 403), ("/run", 403),
                         ("/whatif", 403)):  # a manager's HTML report is served now: their rows alone
        guard.downloads.add(server.url + path)
        answer = page.goto(path)
        assert answer is not None and answer.status == status, path
    guard.problems = [p for p in guard.problems if "status of 40" not in p and "status of 50" not in p]
    assert "E011" not in page.content()


def test_employee_sees_only_their_review(browser: Any, server: Server, guard: Guard, xss_eid: str) -> None:
    page = open_as(browser, server, guard, "emp")
    page.goto(f"/evaluations/{xss_eid}")
    assert page.locator("#employees tbody tr td:first-child").all_inner_texts() == ["E001"]
    assert page.locator("svg.chart").count() == 0 and page.locator("#teams").count() == 0
    page.get_by_role("link", name="E001", exact=True).click()
    assert page.locator("#employee-name").inner_text().startswith("王建国")
    assert page.locator("#trend tbody tr").count() >= 1
    answer = page.goto(f"/evaluations/{xss_eid}/employees/E002")
    assert answer is not None and answer.status == 404
    guard.problems = [p for p in guard.problems if "status of 404" not in p]


def test_markup_in_a_name_is_text(browser: Any, server: Server, guard: Guard, xss_eid: str) -> None:
    page = open_as(browser, server, guard, "hr")
    page.goto(f"/evaluations/{xss_eid}?team=growth")
    assert XSS_NAME in page.locator("#employees").inner_text()
    page.goto(f"/evaluations/{xss_eid}/employees/E002")
    assert XSS_NAME in page.locator("#employee-name").inner_text()
    assert page.locator("img").count() == 0  # nothing became an element; guard: no dialog fired


def test_a_post_without_csrf_token_is_refused(browser: Any, server: Server, guard: Guard) -> None:
    page = open_as(browser, server, guard, "hr")
    for path, form in (("/signout", {}), ("/run", {"policy": "ops-department"}),
                       ("/whatif", {"policy": "ops-department", "evaluation": "x", "source": "a: 1"}),
                       ("/signout", {"csrf": "forged"})):
        answer = page.request.post(server.url + path, form=form)  # the session cookie rides along
        assert answer.status == 403, path
    page.goto("/policies")
    assert page.locator(".who").count() == 1  # still signed in: nothing was done


def test_sign_out_ends_the_session_on_the_server(browser: Any, server: Server, guard: Guard) -> None:
    page = open_as(browser, server, guard, "svc")
    cookie = next(c for c in page.context.cookies() if c["name"] == "kpi_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    old = {"kpi_session": cookie["value"]}
    assert httpx.get(f"{server.url}/policies", cookies=old).status_code == 200
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signin")
    assert httpx.get(f"{server.url}/policies", cookies=old).status_code == 303  # to the sign-in page


def test_language_switch_and_narrow_screen(browser: Any, server: Server, guard: Guard, xss_eid: str) -> None:
    page = open_as(browser, server, guard, "hr", width=375)
    page.goto(f"/evaluations/{xss_eid}?lang=zh-CN")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("#summary-h").inner_text() == "概况"
    page.goto("/policies")  # the choice is kept
    assert page.locator("h1").inner_text() == "考核方案"
    page.get_by_role("link", name="English").click()
    assert page.locator("h1").inner_text() == "Policies"
    page.goto(f"/evaluations/{xss_eid}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.goto("/whatif?policy=ops-department")  # the simple controls' long names wrap
    assert page.get_by_label("运营经理 · 网站访问量 · Weight", exact=False).first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.goto(f"/evaluations/{xss_eid}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"


def test_audit_page_shows_web_reads(browser: Any, server: Server, guard: Guard, xss_eid: str) -> None:
    page = open_as(browser, server, guard, "hr")
    page.goto(f"/evaluations/{xss_eid}/employees/E001")
    page.goto("/audit?actor=hr&action=explain")
    assert page.locator("#chain").get_attribute("class") == "ok"
    targets = page.locator("#audit tbody tr td:nth-child(6)").all_inner_texts()
    assert f"/v1/evaluations/{xss_eid}/employees/E001/explain" in targets
