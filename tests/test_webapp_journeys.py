"""The web app's journeys the issue names that the main browser tests do not walk: a person who types
or pastes the wrong thing (an overlong token, a mistyped address, a bad query, a bad data file) gets a
page with a plain message, never a JSON document or an error in the browser's console; and pages that say
everything in the chosen language."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.serve_helpers import ROOT
from tests.test_webapp_browser import browser_type_launch_args, open_as  # noqa: F401 (a fixture, a helper)
from tests.webapp_helpers import CHROMIUM, Guard, Server, running

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install "
                                                         "chromium); the browser tests need it")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from running(tmp_path_factory.mktemp("webapp-journeys"))


@pytest.fixture
def guard(server: Server) -> Iterator[Guard]:
    found = Guard(server.url)
    yield found
    assert found.problems == []


def test_an_overlong_token_is_refused_on_the_sign_in_page(browser: Any, server: Server, guard: Guard) -> None:
    """Sign-in with a token: a wrong token gets a clear message, not a crash (here: a pasted paragraph)."""
    page = open_as(browser, server, guard, None)
    page.goto("/signin?lang=en")
    page.get_by_label("Token").fill("x" * 600)
    guard.downloads.add(f"{server.url}/signin")
    with page.expect_response(f"{server.url}/signin") as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 401
    assert page.get_by_role("alert").inner_text() == "Token not accepted."
    guard.problems = [p for p in guard.problems if "status of 401" not in p]


def test_a_mistyped_address_or_query_gets_a_page(browser: Any, server: Server, guard: Guard) -> None:
    """No JSON document or traceback reaches a person in a browser: a wrong address is the 404 page, a bad
    query a page that says what is wrong; the API keeps answering problem documents."""
    page = open_as(browser, server, guard, "hr")
    for path, status in (("/no-such-page?lang=en", 404), ("/audit?after=yesterday&lang=en", 422)):
        answer = page.goto(path)
        assert answer is not None and answer.status == status, path
        assert answer.headers["content-type"].startswith("text/html"), path
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_role("link", name="Back to the start").count() == 1
    assert "after" in page.locator(".problem").inner_text()
    guard.problems = [p for p in guard.problems if "status of 404" not in p and "status of 422" not in p]
    with server.api("hr") as api:
        assert api.get("/v1/no-such-thing", headers={"Accept": "text/html"}).headers["content-type"] == \
            "application/problem+json"


def test_a_bad_data_file_is_named_with_its_line_and_no_console_error(browser: Any, server: Server, guard: Guard,
                                                                    tmp_path: Path) -> None:
    """Upload data: a bad file gives a clear message naming the line; on every page no console error."""
    bad = tmp_path / "ops.json"
    bad.write_text('[{"employee_id": "E1",', encoding="utf-8")
    page = open_as(browser, server, guard, "hr")
    page.goto("/run?lang=en")
    page.get_by_label("Policy").select_option("ops-department")
    with page.expect_response(f"{server.url}/run/periods") as answer:
        page.get_by_label("Data file (CSV, XLSX, JSON)").set_input_files(str(bad))
    assert answer.value.status == 200  # the file was read: what it holds is the answer
    status = page.get_by_role("status")
    status.filter(has_text="ops.json:1:23").wait_for()  # set once the answer's body is read: no race with it
    assert status.inner_text().startswith("ops.json:1:23: not valid JSON")
    page.get_by_role("button", name="Evaluate").click()
    assert status.inner_text().startswith("ops.json:1:23: not valid JSON")
    assert page.url.endswith("/run?lang=en") and page.locator("#run-progress").is_hidden()
    assert page.locator("#run-progress").get_attribute("aria-label") == "Progress"


def test_statuses_are_words_in_the_page_language(browser: Any, server: Server, guard: Guard, tmp_path: Path) -> None:
    """Every page in zh-CN and en: a row's status (rated, not rated, error) is a word of the page's language in
    the employee table, its filter, the error rows and the employee page, not the results' code."""
    text = (ROOT / "examples" / "ops-2024.csv").read_text(encoding="utf-8")
    bad = tmp_path / "ops.csv"
    bad.write_text(text.replace(",4.11,", ",abc,", 1), encoding="utf-8")
    with server.api("hr") as api:
        answer = api.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q1"},
                          content=bad.read_bytes(), headers={"Content-Type": "text/csv"})
    assert answer.status_code == 201, answer.text
    eid = answer.json()["evaluation_id"]
    page = open_as(browser, server, guard, "hr")
    page.goto(f"/evaluations/{eid}?team=growth&lang=zh-CN")
    assert set(page.locator("#employees tbody tr td:nth-child(7)").all_inner_texts()) == {"已评级", "错误"}
    assert page.locator("#f-status option").all_inner_texts() == ["全部", "错误", "已评级"]
    assert page.locator("#f-status option").nth(1).get_attribute("value") == "error"
    assert page.locator("#errors tbody tr td:nth-child(2)").all_inner_texts() == ["错误"]
    page.goto(f"/evaluations/{eid}/employees/E005")
    assert page.locator("#status").inner_text() == "错误"
    page.goto(f"/evaluations/{eid}?team=growth&lang=en")
    assert set(page.locator("#employees tbody tr td:nth-child(7)").all_inner_texts()) == {"Rated", "Error"}


def test_a_policy_files_problems_read_at_375_px(browser: Any, server: Server, guard: Guard) -> None:
    """Readable at 375 px wide: the policies page's problems with `line:col` (a long field path in a message)
    wrap inside the page instead of widening it."""
    source = (server.folder / "policies" / "ops-department.yaml").read_text(encoding="utf-8")
    broken = server.folder / "policies" / "ops-typo.yaml"
    broken.write_text(source.replace("id: ops-department", "id: ops-typo", 1)
                      .replace("{weight: 10%, floor: 800000", "{weight: 10%%, floor: 800000", 1), encoding="utf-8")
    try:
        page = open_as(browser, server, guard, "hr", width=375)
        for _ in range(50):  # the server looks for changed files every 2 s
            page.goto("/policies?lang=en")
            if page.locator(".problems").count():
                break
            page.wait_for_timeout(200)
        assert page.locator(".problems .where").all_inner_texts() == ["ops-typo.yaml:209:33"]
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        broken.unlink()


def test_a_file_of_another_kind_is_named_when_chosen(browser: Any, server: Server, guard: Guard,
                                                     tmp_path: Path) -> None:
    """Upload data: a file that is not CSV, XLSX or JSON is said so as soon as it is chosen, in a sentence,
    and Evaluate sends nothing."""
    notes = tmp_path / "notes.txt"
    notes.write_text("employee_id,period\nE001,2024-Q1\n", encoding="utf-8")
    page = open_as(browser, server, guard, "hr")
    page.goto("/run?lang=en")
    with page.expect_response(f"{server.url}/run/periods") as answer:
        page.get_by_label("Data file (CSV, XLSX, JSON)").set_input_files(str(notes))
    assert answer.value.status == 200
    said = "notes.txt: the data file must be CSV, XLSX, JSON or JSON lines (.csv, .xlsx, .json, .jsonl)"
    page.get_by_role("status").filter(has_text="notes.txt").wait_for()
    assert page.get_by_role("status").inner_text() == said
    page.get_by_role("button", name="Evaluate").click()
    assert page.get_by_role("status").inner_text() == said and page.url.endswith("/run?lang=en")


def test_a_refused_evaluation_says_why_in_words(browser: Any, server: Server, guard: Guard) -> None:
    """Upload data: a file the policy cannot evaluate (another department's columns) gets the reason as a
    sentence naming the file and the column, not an HTTP status number."""
    page = open_as(browser, server, guard, "hr")
    page.goto("/run?lang=en")
    page.get_by_label("Policy").select_option("customer-support")
    page.get_by_label("Data file (CSV, XLSX, JSON)").set_input_files(str(ROOT / "examples" / "ops-2024.csv"))
    page.get_by_label("Period").locator("option").nth(4).wait_for(state="attached")
    with page.expect_response(f"{server.url}/run") as answer:
        page.get_by_role("button", name="Evaluate").click()
    assert answer.value.status == 422
    status = page.get_by_role("status")
    status.filter(has_text="ops-2024.csv").wait_for()
    assert status.inner_text().startswith("ops-2024.csv: the required column `escalations` is not in the file")
    guard.problems = [p for p in guard.problems if "status of 422" not in p]


def test_the_transition_matrix_speaks_the_page_language(browser: Any, server: Server, guard: Guard) -> None:
    """What-if in zh-CN: the transition matrix's rows and columns for people without a grade are words
    (未评级, 错误, 不在数据中), while each cell keeps the codes the diff uses."""
    with server.api("hr") as api:
        answer = api.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"},
                          content=(ROOT / "examples" / "ops-2024.csv").read_bytes(),
                          headers={"Content-Type": "text/csv"})
    assert answer.status_code == 201, answer.text
    page = open_as(browser, server, guard, "hr")
    page.goto(f"/whatif?policy=ops-department&evaluation={answer.json()['evaluation_id']}&lang=zh-CN")
    page.locator("input[name='set:grades.B.min']").fill("90")
    page.get_by_role("button", name="比较").click()
    page.wait_for_selector("#matrix")
    heads = page.locator("#matrix thead th").all_inner_texts()[1:]
    assert heads == ["S", "A", "B", "C", "D", "未评级", "错误", "不在数据中"]
    assert page.locator("#matrix tbody th").all_inner_texts()[-1] == "未评级"
    assert page.locator("#matrix tbody tr").last.locator("td").nth(5).get_attribute("data-from") == "not_rated"


def test_the_policy_page_tables_speak_the_page_language(browser: Any, server: Server, guard: Guard) -> None:
    """Every page in zh-CN and en: the policy page's indicator and weight tables have every column heading
    in the page's language."""
    page = open_as(browser, server, guard, "mgr")
    page.goto("/policies/ops-department?lang=zh-CN")
    heads = page.locator("table thead th").all_inner_texts()
    assert heads[:8] == ["ID", "名称", "公式", "岗位", "指标", "权重", "目标值", "计分方式"]
    page.goto("/policies/ops-department?lang=en")
    assert page.locator("table thead th").all_inner_texts()[:8] == \
        ["ID", "Label", "Formula", "Role", "Indicator", "Weight", "Target", "Scale"]


def test_more_options_read_a_title_row_and_a_renamed_column(browser: Any, server: Server, guard: Guard,
                                                            tmp_path: Path) -> None:
    """Upload data with a title above the header and a column named differently: each message names the
    request's option and says which field under More options fixes it, in the page's language; filled in,
    the periods are read past the title and the file is evaluated. Readable at 375 px."""
    header, rest = (ROOT / "examples" / "ops-2024.csv").read_text(encoding="utf-8").split("\n", 1)
    data = tmp_path / "ops-export.csv"
    data.write_text("2024 运营考核导出\n" + header.replace("paid_users", "Paid Users") + "\n" + rest, encoding="utf-8")
    page = open_as(browser, server, guard, "hr", width=375)
    page.goto("/run?lang=zh-CN")
    page.get_by_label("方案", exact=True).select_option("ops-department")
    with page.expect_response(f"{server.url}/run/periods"):
        page.get_by_label("数据文件 (CSV, XLSX, JSON)").set_input_files(str(data))
    period, status = page.get_by_label("考核周期"), page.get_by_role("status")
    assert period.locator("option").all_inner_texts() == ["—"]  # the title row is no header with a period
    assert page.get_by_label("表头所在行").is_hidden()  # More options start closed

    with page.expect_response(f"{server.url}/run") as answer:
        page.get_by_role("button", name="开始考核").click()
    assert answer.value.status == 422
    status.filter(has_text="header_row=N").wait_for()
    said = status.inner_text()
    assert "whose header reads: 2024 运营考核导出" in said and "--header-row" not in said
    assert said.endswith("; if they are named differently, map each with column=NAME=HEADER — "
                         "请在“更多选项”中把“表头所在行”设为列名所在的行。 "
                         "请在“更多选项”的“列名对应”中填写,每行一条 NAME=HEADER。")

    page.locator("summary", has_text="更多选项").click()
    assert page.get_by_label("表头所在行").input_value() == "1"
    assert page.get_by_label("文件编码").locator("option:checked").inner_text() == "自动识别"
    assert page.locator("#columns-help").inner_text().startswith("每行一条 NAME=HEADER")
    with page.expect_response(f"{server.url}/run/periods"):
        page.get_by_label("表头所在行").fill("2")
        page.get_by_label("表头所在行").press("Tab")
    period.locator("option").nth(4).wait_for(state="attached")  # read past the title now
    assert period.locator("option").all_inner_texts() == ["—", "2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    period.select_option("2024-Q2")
    with page.expect_response(f"{server.url}/run") as answer:
        page.get_by_role("button", name="开始考核").click()
    assert answer.value.status == 422
    status.filter(has_text="column=paid_users=Paid Users").wait_for()
    assert status.inner_text() == (
        "ops-export.csv: the required column `paid_users` is not in the file, but `Paid Users` is: if it is the "
        "same, pass column=paid_users=Paid Users — 请在“更多选项”的“列名对应”中填写,每行一条 NAME=HEADER。")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    with page.expect_response(f"{server.url}/run/periods"):
        page.get_by_label("列名对应").fill("paid_users=Paid Users\n")
        page.get_by_label("列名对应").press("Tab")
    assert period.input_value() == "2024-Q2"  # the period chosen is kept when the file is read again
    page.get_by_role("button", name="开始考核").click()
    page.wait_for_url("**/evaluations/*")
    assert page.locator("h1").inner_text().endswith("· 2024-Q2")
    assert page.locator("#employees tbody tr").count() > 0
    guard.problems = [p for p in guard.problems if "status of 422" not in p]
