"""`kpi-rules test`: test files, expectations, reports, coverage, and the
shipped test files of the example policies."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from engine_helpers import policy_yaml

from kpi_rules.cli import main
from kpi_rules.common.resources import load_schema
from kpi_rules.policy.loader import load_text
from kpi_rules.policy.schema import check_shape
from kpi_rules.policytest import load_test_file, run_files

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted((REPO / "policies").glob("*.test.yaml"))

POLICY = """\
inputs:
  sales: {type: number, min: 0}
  late: {type: integer, min: 0, default: 0}
indicators:
  sales: {formula: sales}
scales:
  b:
    type: bands
    basis: achievement
    bands: [{min: 1.0, score: 100}, {min: 0.5, score: 50}, {score: 0}]
roles:
  r: {indicators: {sales: {weight: 100%, target: 100, scale: b}}}
bonuses: {items: [{id: star, when: sales >= 200, points: 5}]}
deductions: {items: [{id: late, when: late > 0, points: late}]}
vetoes: [{id: fraud, when: late > 5, grade: D}]
suggestions: [{id: push, when: score('sales') < 100, text: Push sales.}]
"""


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A policy in policies/ and a folder tests/policies/ for test files; cwd is the suite."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "p.yaml").write_text(policy_yaml(POLICY), encoding="utf-8")
    (tmp_path / "tests" / "policies").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_test(folder: Path, body: str, name: str = "p.test.yaml") -> Path:
    path = folder / "tests" / "policies" / name
    path.write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


GOOD = """
policy: ../../policies/p.yaml
period: 2024-Q1
defaults: {role: r}
cases:
  - name: on target
    rows: [{sales: 100}]
    expect: {final: 100, grade: A, bonuses: [], suggestions: []}
  - name: star
    rows: [{sales: 200}]
    expect: {final: 105, grade: A, bonuses: [star], indicators: {sales: {score: 100, achievement: 2}}}
  - name: half
    rows: [{sales: 60, late: 2}]
    expect: {final: 48, grade: D, deductions: [late], suggestions: [push]}
"""


# ---------------------------------------------------------------- the shipped test files


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_test_files_pass_with_full_coverage(path: Path) -> None:
    results, coverage = run_files([path])
    assert [c.title for c in results[0].cases if not c.passed] == []
    assert results[0].invalid == []
    [report] = coverage.reports()
    assert report.missed == []
    assert report.percent == 100.0


def test_shipped_test_files_are_the_two_example_policies() -> None:
    assert [p.name for p in SHIPPED] == ["customer-support.test.yaml", "ops-department.test.yaml"]


def test_default_paths_run_the_shipped_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out = invoke("test", "--coverage", "--threshold", "90")
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == "PASS policies/customer-support.test.yaml::agent on target"
    assert "PASS policies/ops-department.test.yaml::specialist on target" in lines
    assert "coverage policies/customer-support.yaml: 100.0% (26 of 26 reached)" in lines
    assert "coverage policies/ops-department.yaml: 100.0% (29 of 29 reached)" in lines
    assert lines[-1] == "52 passed, 0 failed"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_files_match_the_schema_with_plain_jsonschema(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(load_schema("testcases.schema.json")).validate(data)


def test_schema_is_strict_draft_2020_12() -> None:
    schema = load_schema("testcases.schema.json")
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    for name in ("case", "expectation", "tolerance", "indicator"):
        assert schema["$defs"][name]["additionalProperties"] is False, name


# ---------------------------------------------------------------- running cases


def test_passing_file_text_report(suite: Path) -> None:
    write_test(suite, GOOD)
    assert invoke("test") == (0, "PASS tests/policies/p.test.yaml::on target\n"
                                 "PASS tests/policies/p.test.yaml::star\n"
                                 "PASS tests/policies/p.test.yaml::half\n"
                                 "3 passed, 0 failed\n")


def test_failing_case_shows_expected_and_actual_at_the_expectation(suite: Path) -> None:
    write_test(suite, """
        policy: ../../policies/p.yaml
        period: 2024-Q1
        cases:
          - name: wrong
            rows: [{role: r, sales: 60}]
            expect:
              final: 50
              grade: C
              bonuses: [star]
    """)
    code, out = invoke("test")
    assert code == 1
    assert out == textwrap.dedent("""\
        FAIL tests/policies/p.test.yaml::wrong
            tests/policies/p.test.yaml:8:14: grade
              expected: C
              actual:   D
            tests/policies/p.test.yaml:9:16: bonuses
              expected: [star]
              actual:   []
            note: row1: status rated, individual 50, bonus 0, deduction 0, coefficient_team 1, final 50, grade D
        0 passed, 1 failed
        """)


@pytest.mark.parametrize(("expect", "passes"), [
    ("{final: 48}", True),
    ("{final: 48.001}", False),
    ("{final: {value: 48.4, tolerance: 0.5}}", True),
    ("{final: {value: 48.6, tolerance: 0.5}}", False),
    ("{status: rated, grade: D, grade_before_distribution: D, pay_coefficient: 0}", True),
    ("{veto: null, moved: false}", True),
    ("{moved: true}", False),
    ("{individual: 50, bonus: 0, deduction: 2, coefficient_team: 1}", True),
    ("{indicators: {sales: {score: 50, achievement: 0.6, actual: 60, weighted: 50, weight: 1, flags: []}}}", True),
    ("{indicators: {sales: {flags: [div_zero]}}}", False),
    ("{indicators: {nothing: {score: 1}}}", False),
    ("{deductions: [late]}", True),
    ("{deductions: []}", False),
    ("{suggestions: [push]}", True),
    ("{reasons_contain: [anything]}", False),
])
def test_each_expectation_field(suite: Path, expect: str, passes: bool) -> None:
    write_test(suite, f"""
        policy: ../../policies/p.yaml
        period: 2024-Q1
        cases:
          - name: c
            rows: [{{role: r, sales: 60, late: 2}}]
            expect: {expect}
    """)
    results, _ = run_files([suite / "tests/policies/p.test.yaml"])
    assert results[0].invalid == []
    assert results[0].cases[0].passed is passes, results[0].cases[0].mismatches


def test_veto_reasons_and_several_rows(suite: Path) -> None:
    write_test(suite, """
        policy: ../../policies/p.yaml
        period: 2024-Q1
        defaults: {role: r}
        cases:
          - name: two people
            rows:
              - {employee_id: A1, sales: 100, late: 6}
              - {employee_id: A2, sales: -5}
            expect:
              A1: {final: 94, grade: D, veto: fraud}
              A2: {status: error, reasons_contain: ["column `sales`: -5 is below the minimum 0"]}
    """)
    code, out = invoke("test")
    assert (code, out.splitlines()[-1]) == (0, "1 passed, 0 failed")


def test_a_case_that_cannot_run_fails_with_the_reason(suite: Path) -> None:
    write_test(suite, """
        policy: ../../policies/p.yaml
        cases:
          - name: before the policy
            period: 2023-Q4
            rows: [{role: r, sales: 1}]
            expect: {grade: D}
    """)
    code, out = invoke("test")
    assert code == 1
    assert out.splitlines()[:2] == [
        "FAIL tests/policies/p.test.yaml::before the policy",
        "    tests/policies/p.test.yaml:3:5: 2023-Q4 is outside the policy's effective dates (2024-01-01 to open end)",
    ]


def test_an_invalid_policy_is_reported_with_its_own_positions(suite: Path) -> None:
    (suite / "policies" / "p.yaml").write_text(policy_yaml(POLICY.replace("weight: 100%", "weight: 90%")),
                                               encoding="utf-8")
    write_test(suite, GOOD)
    code, out = invoke("test")
    assert code == 1
    assert out.splitlines()[0] == "ERROR tests/policies/p.test.yaml: its policy policies/p.yaml is invalid"
    assert out.splitlines()[1].startswith("    policies/p.yaml:")
    assert " KR101 " in out.splitlines()[1]
    assert out.splitlines()[-1] == "0 passed, 0 failed, 1 invalid file"


# ---------------------------------------------------------------- bad test files


BAD_FILES = {
    "unknown top-level field": ("policy: ../../policies/p.yaml\ncasez: []\n", [("KR010", 2, 1)]),
    "misspelt expectation": (
        "policy: ../../policies/p.yaml\ncases:\n  - name: a\n    rows: [{role: r}]\n    expect: {grde: A}\n",
        [("KR305", 5, 14)]),
    "unknown employee": (
        "policy: ../../policies/p.yaml\ncases:\n  - name: a\n    rows: [{employee_id: E1}, {employee_id: E2}]\n"
        "    expect:\n      E3: {grade: A}\n", [("KR303", 6, 7)]),
    "fields with several employees": (
        "policy: ../../policies/p.yaml\ncases:\n  - name: a\n    rows: [{employee_id: E1}, {employee_id: E2}]\n"
        "    expect: {grade: A}\n", [("KR304", 5, 14)]),
    "duplicate case": (
        "policy: ../../policies/p.yaml\ncases:\n  - {name: a, rows: [{}], expect: {grade: A}}\n"
        "  - {name: a, rows: [{}], expect: {grade: B}}\n", [("KR302", 4, 12)]),
    "policy not found": (
        "policy: ../../policies/nope.yaml\ncases:\n  - {name: a, rows: [{}], expect: {grade: A}}\n",
        [("KR301", 1, 9)]),
    "rows not a list": (
        "policy: ../../policies/p.yaml\ncases:\n  - {name: a, rows: {role: r}, expect: {grade: A}}\n",
        [("KR012", 3, 21)]),
    "tolerance without value": (
        "policy: ../../policies/p.yaml\ncases:\n  - {name: a, rows: [{}], expect: {final: {tolerance: 1}}}\n",
        [("KR011", 3, 36)]),
    "unknown indicator field": (
        "policy: ../../policies/p.yaml\ncases:\n  - {name: a, rows: [{}], expect: {indicators: {s: {scor: 1}}}}\n",
        [("KR010", 3, 53)]),
    "several problems at once": (
        "policy: ../../policies/p.yaml\ncases:\n  - {name: a, rows: [{}], expect: {grade: A}}\n"
        "  - {name: a, rows: [{employee_id: E1}], expect: {E9: {grade: A}}}\n"
        "  - {name: b, rows: [{employee_id: E1}, {employee_id: E2}], expect: {grade: A}}\n",
        [("KR302", 4, 12), ("KR303", 4, 51), ("KR304", 5, 70)]),
    "yaml syntax": ("policy: [\n", [("KR001", 2, 1)]),
    "empty file": ("", [("KR011", 1, 1)]),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_test_files_are_reported_at_file_line_col(suite: Path, name: str) -> None:
    text, expected = BAD_FILES[name]
    path = suite / "tests" / "policies" / "bad.test.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = load_test_file(path)
    assert loaded.validation is not None
    got = [(p.code, p.line, p.col) for p in loaded.validation.problems]
    assert sorted(got) == sorted(expected), [f"{p.location} {p.code} {p.message}" for p in loaded.validation.problems]
    code, out = invoke("test", str(path))
    assert code == 1
    assert out.splitlines()[-1] == "0 passed, 0 failed, 1 invalid file"


def test_misspelt_expectation_has_a_hint(suite: Path) -> None:
    write_test(suite, "policy: ../../policies/p.yaml\ncases:\n  - name: a\n    rows: [{role: r}]\n"
                             "    expect: {grde: A}\n")
    code, out = invoke("test", "tests/policies/p.test.yaml")
    assert code == 1
    assert out.splitlines()[:5] == [
        "ERROR tests/policies/p.test.yaml: the test file is invalid",
        "    tests/policies/p.test.yaml:5:14: error KR305 `grde` is not something a case can expect  "
        "[unknown-expectation]",
        "     5 |     expect: {grde: A}",
        "       |              ^",
        "      help: did you mean `grade`?",
    ]


def test_check_shape_keeps_its_policy_defaults() -> None:
    loaded = load_text("apiVersion: kpi-rules/v1\n", "p.yaml")
    messages = [p.message for p in check_shape(loaded.data, loaded.source)]
    assert "the policy needs the field `kind`" in messages
    loaded = load_text("cases: []\n", "t.test.yaml")
    messages = [p.message for p in check_shape(loaded.data, loaded.source, "testcases.schema.json", "the test file")]
    assert messages == ["the test file needs the field `policy`", "`cases` is empty"]


# ---------------------------------------------------------------- formats


def failing_suite(suite: Path) -> None:
    write_test(suite, GOOD.replace("expect: {final: 48, grade: D", "expect: {final: 47, grade: D"))


def test_json_format(suite: Path) -> None:
    failing_suite(suite)
    code, out = invoke("test", "--format", "json", "--coverage")
    doc = json.loads(out)
    assert code == 1
    assert doc["summary"] == {"passed": 2, "failed": 1, "invalid_files": 0, "threshold": None,
                              "below_threshold": [], "ok": False, "text": "2 passed, 1 failed"}
    [failed] = [c for c in doc["cases"] if not c["passed"]]
    assert failed["mismatches"] == [{"where": "final", "expected": "47", "actual": "48", "line": 13, "col": 21}]
    assert doc["coverage"][0]["not_reached"]["veto"] == ["fraud"]


def test_junit_format(suite: Path) -> None:
    failing_suite(suite)
    code, out = invoke("test", "--format", "junit")
    root = ET.fromstring(out)
    assert code == 1
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "0")
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == ["on target", "star", "half"]
    failure = cases[2].find("failure")
    assert failure is not None and "expected: 47" in (failure.text or "")


def test_github_format_annotates_the_expectation_line(suite: Path) -> None:
    failing_suite(suite)
    code, out = invoke("test", "--format", "github")
    assert code == 1
    annotations = [line for line in out.splitlines() if line.startswith("::")]
    assert len(annotations) == 1
    assert annotations[0].startswith("::error file=tests/policies/p.test.yaml,line=13,col=21,title=FAIL half::")
    assert annotations[0].endswith("::final: expected 47, actual 48%0Arow1: status rated, individual 50, bonus 0, "
                                   "deduction 2, coefficient_team 1, final 48, grade D")
    assert out.splitlines()[-1] == "2 passed, 1 failed"


def test_github_format_for_a_bad_file(suite: Path) -> None:
    write_test(suite, "policy: ../../policies/p.yaml\ncasez: []\n")
    code, out = invoke("test", "--format", "github")
    assert code == 1
    assert "::error file=tests/policies/p.test.yaml,line=2,col=1,title=KR010 unknown-field::" in out


# ---------------------------------------------------------------- coverage


def test_coverage_lists_what_no_case_reached(suite: Path) -> None:
    write_test(suite, GOOD)
    code, out = invoke("test", "--coverage")
    assert code == 0
    assert out.splitlines()[3:] == [
        "coverage policies/p.yaml: 58.3% (7 of 12 reached)",
        "  not reached (band): b band 3 (catch-all)",
        "  not reached (grade): grade S; grade B; grade C",
        "  not reached (veto): veto fraud",
        "3 passed, 0 failed",
    ]


@pytest.mark.parametrize(("threshold", "code"), [("58", 0), ("58.3", 0), ("59", 1), ("0", 0)])
def test_threshold(suite: Path, threshold: str, code: int) -> None:
    write_test(suite, GOOD)
    got, out = invoke("test", "--threshold", threshold)
    assert got == code
    below = "coverage policies/p.yaml: 58.3% is below the threshold 59%"
    assert (below in out) is (code == 1)


def test_coverage_counts_linear_segments_and_team_bands(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(policy_yaml("""
        inputs: {sales: {type: number, min: 0}}
        indicators: {sales: {formula: sales}}
        scales:
          lin: {type: linear, points: {floor: 60, target: 100, stretch: 120}}
          tb: {type: bands, basis: achievement, bands: [{min: 1, score: 100}, {score: 0}]}
        roles: {r: {indicators: {sales: {weight: 100%, floor: 50, target: 100, stretch: 150, scale: lin}}}}
        team:
          indicators: {total: {formula: sum(sales), target: 1000, scale: tb, weight: 100%}}
          apply: {blend: 10%}
    """), encoding="utf-8")
    test = tmp_path / "p.test.yaml"
    test.write_text("policy: p.yaml\nperiod: 2024-Q1\ndefaults: {role: r, team: t}\ncases:\n"
                    "  - {name: a, rows: [{sales: 40}, {sales: 120}], expect: {row1: {grade: D}}}\n", encoding="utf-8")
    _, coverage = run_files([test])
    [report] = coverage.reports()
    assert sorted(i.key for i in report.items if i.kind == "band") == [
        "lin[0]", "lin[1]", "lin[2]", "lin[3]", "tb[0]", "tb[1]"]
    assert sorted(i.key for i in report.missed if i.kind == "band") == ["lin[1]", "lin[3]", "tb[0]"]


# ---------------------------------------------------------------- discovery


def test_no_test_files_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = invoke("test")
    assert code == 2
    assert "no policy test files (*.test.yaml) found" in out


def test_test_files_next_to_policies_are_found(suite: Path) -> None:
    (suite / "policies" / "p.test.yaml").write_text(GOOD.replace("../../policies/p.yaml", "p.yaml"),
                                                   encoding="utf-8")
    write_test(suite, GOOD)
    code, out = invoke("test")
    assert code == 0
    assert out.splitlines()[0] == "PASS tests/policies/p.test.yaml::on target"
    assert "PASS policies/p.test.yaml::on target" in out.splitlines()
    assert out.splitlines()[-1] == "6 passed, 0 failed"


def test_real_subprocess_exit_code_and_closing_line() -> None:
    done = subprocess.run([sys.executable, "-m", "kpi_rules", "test", "policies/ops-department.test.yaml"],
                          cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "27 passed, 0 failed"
