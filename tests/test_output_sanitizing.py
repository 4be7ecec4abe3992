"""Control characters from a policy or a data file never reach a terminal or a report raw:
they are shown as escapes (ESC as `\\x1b`), and JUnit XML, SARIF and JSON stay well-formed."""

from __future__ import annotations

import json
import re
import xml.dom.minidom
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from test_template_limits import POLICY

from kpi_rules.cli import main
from kpi_rules.common.text import visible
from kpi_rules.policy.problems import Problem
from kpi_rules.policy.validate import validate_file
from kpi_rules.writers.problems import REPORTERS, _snippet

EVIL_KEY = '"evil\\e]0;pwned\\a\\e[2J\\x0b\\x00\\r\\x9b": 1\n'  # YAML escapes: ESC, BEL, VT, NUL, CR, CSI (C1)
SHOWN_KEY = r"evil\x1b]0;pwned\x07\x1b[2J\x0b\x00\x0d\x9b"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
HINT = ("allowed here: apiVersion, kind, metadata, cycle, inputs, eligibility, groups, indicators, scales, roles, "
        "team, bonuses, deductions, vetoes, grades, distribution, missing, rounding, suggestions")


@pytest.mark.parametrize(("text", "shown"), [
    ("plain, 中文, tab\tand\nnewline", "plain, 中文, tab\tand\nnewline"),
    ("\x1b]0;pwned\x07", r"\x1b]0;pwned\x07"),
    ("\x00\x08\x0b\x0c\r\x1f\x7f", r"\x00\x08\x0b\x0c\x0d\x1f\x7f"),
    ("C1 \x80 \x85 \x9b \x9f, not \xa0", r"C1 \x80 \x85 \x9b \x9f, not " + "\xa0"),
    ("lone \ud800 surrogate, \ufffe \uffff", r"lone \ud800 surrogate, \ufffe \uffff"),
])
def test_visible(text: str, shown: str) -> None:
    assert visible(text) == shown


@pytest.fixture()
def evil_policy(tmp_path: Path) -> Path:
    lines = POLICY.splitlines(keepends=True)
    path = tmp_path / "policy.yaml"
    path.write_text("".join(lines[:9]) + EVIL_KEY + "".join(lines[9:]), encoding="utf-8")
    return path


def _report(fmt: str, policy: Path) -> str:
    return str(REPORTERS[fmt]([validate_file(policy)]))


def test_text_report_shows_control_characters_as_escapes(evil_policy: Path) -> None:
    assert _report("text", evil_policy) == (
        f"{evil_policy}:10:1: error KR010 `{SHOWN_KEY}` is not a field of the policy  [unknown-field]\n"
        ' 10 | "evil\\e]0;pwned\\a\\e[2J\\x0b\\x00\\r\\x9b": 1\n'
        "    | ^\n"
        f"  help: {HINT}\n"
        "\n"
        "1 file, 1 error, 0 warnings\n")


def test_junit_is_well_formed_xml(evil_policy: Path) -> None:
    out = _report("junit", evil_policy)
    failure = xml.dom.minidom.parseString(out.encode()).getElementsByTagName("failure")[0]
    assert failure.getAttribute("message") == f"`{SHOWN_KEY}` is not a field of the policy"
    assert failure.firstChild.data == (f"{evil_policy}:10:1: KR010 `{SHOWN_KEY}` is not a field of the policy\n"
                                       f"help: {HINT}")
    assert not RAW.search(out.replace("\n", ""))


def test_json_and_sarif_carry_the_escapes(evil_policy: Path) -> None:
    problem = json.loads(_report("json", evil_policy))["files"][0]["problems"][0]
    assert (problem["message"], problem["path"]) == (f"`{SHOWN_KEY}` is not a field of the policy", SHOWN_KEY)
    result = json.loads(_report("sarif", evil_policy))["runs"][0]["results"][0]
    assert result["message"]["text"] == f"`{SHOWN_KEY}` is not a field of the policy (help: {HINT})"


def test_github_annotation_has_no_raw_control_characters(evil_policy: Path) -> None:
    assert _report("github", evil_policy).splitlines()[0] == (
        f"::error file={evil_policy},line=10,col=1,title=KR010 unknown-field::"
        f"`{SHOWN_KEY}` is not a field of the policy (help: {HINT})")


def test_cli_validate_text_exits_1_with_escapes(evil_policy: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(evil_policy)])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (f"{evil_policy}:10:1: error KR010 `{SHOWN_KEY}` is not a field of "
                                             f"the policy  [unknown-field]")
    assert not RAW.search(result.stdout.replace("\n", ""))


def test_snippet_caret_stays_under_the_column_after_escapes() -> None:
    result: Any = SimpleNamespace(source=SimpleNamespace(source_line=lambda line: "a\x85b: [x]"))
    problem = Problem("p.yaml", 3, 6, "KR010", "m")  # column 6 is the `[`
    lines = _snippet(problem, result)
    assert lines == [r" 3 | a\x85b: [x]", "   | " + " " * 8 + "^"]
    assert lines[0][lines[1].index("^")] == "["


# ---------------------------------------------------------------------------
# Names from the data file: explain, Markdown and HTML reports
# ---------------------------------------------------------------------------

DATA = ("employee_id,name,role,team,period,sales,calls\n"
        "E1,\"\x1b]0;pwned\x07\x1b[31mRED\",agent,t\x1bm1,2024-Q1,100,100\n")
SHOWN_NAME = r"\x1b]0;pwned\x07\x1b[31mRED"


@pytest.fixture()
def evil_data(tmp_path: Path) -> list[str]:
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    (tmp_path / "data.csv").write_text(DATA, encoding="utf-8")
    return [str(tmp_path / "policy.yaml"), "--data", str(tmp_path / "data.csv")]


def test_explain_shows_control_characters_as_escapes(evil_data: list[str]) -> None:
    result = CliRunner().invoke(main, ["explain", *evil_data, "--employee", "E1"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == rf"{SHOWN_NAME} (E1) — Agent, team t\x1bm1, 2024-Q1"
    assert not RAW.search(result.stdout.replace("\n", ""))


def test_markdown_report_shows_control_characters_as_escapes(evil_data: list[str]) -> None:
    result = CliRunner().invoke(main, ["evaluate", *evil_data, "--format", "md"])
    assert result.exit_code == 0, result.output
    assert r"### \\x1b\]0;pwned\\x07\\x1b\[31mRED (E1)" in result.stdout.splitlines()
    assert not RAW.search(result.stdout.replace("\n", ""))


def test_html_report_shows_control_characters_as_escapes(evil_data: list[str]) -> None:
    result = CliRunner().invoke(main, ["evaluate", *evil_data, "--format", "html"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert rf'<li><a href="#emp-E1-2">{SHOWN_NAME} (E1)</a></li>' in lines
    assert r"<div><dt>Team</dt><dd>t\x1bm1</dd></div>" in lines
    assert not RAW.search(result.stdout.replace("\n", ""))
