"""`kpi-rules diff`: field diff, people diff, reports, --base GIT_REV."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from engine_helpers import policy_yaml, write_rows

from kpi_rules.cli import main
from kpi_rules.data.readers import read_table
from kpi_rules.data.table import type_table
from kpi_rules.diff.compare import diff_policies, read_file_version
from kpi_rules.diff.fields import field_changes
from kpi_rules.engine import evaluate
from kpi_rules.policy.compiler import compile_policy

REPO = Path(__file__).resolve().parents[1]
OPS = REPO / "policies" / "ops-department.yaml"
OPS_DATA = REPO / "examples" / "ops-2024.csv"

OLD = """\
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
vetoes: [{id: fraud, when: late > 5, grade: D}]
"""
NEW = OLD.replace("{min: 0.5, score: 50}", "{min: 0.5, score: 75}").replace("points: 5}", "points: 15}")
ROWS = [
    {"employee_id": "E1", "role": "r", "team": "t1", "period": "2024-Q1", "sales": 100},  # A -> A
    {"employee_id": "E2", "role": "r", "team": "t1", "period": "2024-Q1", "sales": 60},  # D 50 -> C 75
    {"employee_id": "E3", "role": "r", "team": "t2", "period": "2024-Q1", "sales": 200},  # A 105 -> S 115
    {"employee_id": "E4", "role": "r", "team": "t2", "period": "2024-Q1", "sales": 100, "late": 6},  # D (veto) 94
    {"employee_id": "E5", "role": "r", "team": "t2", "period": "2024-Q1", "sales": 120},  # A -> A
]


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path, Path]:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(policy_yaml(OLD), encoding="utf-8")
    new.write_text(policy_yaml(NEW), encoding="utf-8")
    return old, new, write_rows(tmp_path, ROWS)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------- policy fields


@pytest.mark.parametrize(("old", "new", "expected"), [
    ({"a": 1}, {"a": 1}, []),
    ({"a": 1}, {"a": 2}, [("a", "changed", 1, 2)]),
    ({"a": 1}, {"a": "1"}, [("a", "changed", 1, "1")]),
    ({"a": {"b": 1}}, {"a": {"c": 1}}, [("a.b", "removed", 1, None), ("a.c", "added", None, 1)]),
    ({"l": [1, 2]}, {"l": [1, 3, 4]}, [("l[1]", "changed", 2, 3), ("l[2]", "added", None, 4)]),
    # items named by `id` are matched by name: inserting one in front is one addition, not a cascade
    ({"items": [{"id": "x", "p": 1}]}, {"items": [{"id": "y", "p": 2}, {"id": "x", "p": 1}]},
     [("items[0]", "added", None, {"id": "y", "p": 2}), ("items[1]", "moved", "id x at [0]", "at [1]")]),
    ({"grades": [{"grade": "A", "min": 100}, {"grade": "B"}]}, {"grades": [{"grade": "A", "min": 95}, {"grade": "B"}]},
     [("grades[0].min", "changed", 100, 95)]),
    ({"items": [{"id": "x"}, {"id": "y"}]}, {"items": [{"id": "x"}]}, [("items[1]", "removed", {"id": "y"}, None)]),
])
def test_field_changes(old: Any, new: Any, expected: list[tuple[Any, ...]]) -> None:
    assert [(c.path, c.kind, c.old, c.new) for c in field_changes(old, new)] == expected


# ---------------------------------------------------------------- people


def test_diff_of_two_files(pair: tuple[Path, Path, Path]) -> None:
    old, new, data = pair
    result = diff_policies(read_file_version(old), read_file_version(new), read_table(data), "2024-Q1")
    assert result.transitions() == {"A": {"A": 2, "S": 1}, "D": {"C": 1, "D": 1}}
    assert [(p.employee_id, p.old_grade, p.new_grade, p.old_final, p.new_final, p.delta) for p in result.changed] == [
        ("E2", "D", "C", 50, 75, 25), ("E3", "A", "S", 105, 115, 10)]
    assert result.grade_changes == 2
    assert result.pay_sums() == (3.6, 4.7)
    doc = result.to_dict()
    assert doc["by_role"] == {"r": {"n": 5, "mean": 7.0, "median": 0.0, "max": 25}}
    assert doc["by_team"] == {"t1": {"n": 2, "mean": 12.5, "median": 12.5, "max": 25},
                              "t2": {"n": 3, "mean": 3.3333, "median": 0.0, "max": 10}}
    assert [(f["path"], f["old"], f["new"]) for f in doc["fields"]] == [
        ("scales.b.bands[1].score", 50, 75), ("bonuses.items[0].points", 5, 15)]
    assert doc["summary"] == {"employees": 5, "changed": 2, "grade_changes": 2, "field_changes": 2}


def test_text_report(pair: tuple[Path, Path, Path]) -> None:
    old, new, data = pair
    code, out, _ = invoke("diff", str(old), str(new), "--data", str(data))
    assert code == 0
    lines = out.splitlines()
    assert lines[2] == "5 employees, 2 grade changes, 2 with a different result; pay coefficient sum 3.6 -> 4.7 (+1.1)"
    assert lines[4:7] == ["Policy fields changed (2):", "  ~ scales.b.bands[1].score: 50 -> 75",
                          "  ~ bonuses.items[0].points: 5 -> 15"]
    start = lines.index("Grade transitions (rows: before, columns: after):")
    assert lines[start + 1:start + 7] == [
        "     S  A  B  C  D",
        "  S  ·  ·  ·  ·  ·",
        "  A  1  2  ·  ·  ·",
        "  B  ·  ·  ·  ·  ·",
        "  C  ·  ·  ·  ·  ·",
        "  D  ·  ·  ·  1  1",
    ]
    start = lines.index("Changed employees (2), largest change first:")
    assert lines[start + 1:start + 4] == [
        "  employee  name  role  team  grade   before  after  delta",
        "  E2              r     t1    D -> C  50      75     +25",
        "  E3              r     t2    A -> S  105     115    +10",
    ]


def test_markdown_report_is_a_pr_comment(pair: tuple[Path, Path, Path]) -> None:
    old, new, data = pair
    code, out, _ = invoke("diff", str(old), str(new), "--data", str(data), "--format", "md")
    assert code == 0
    assert out.startswith("<!-- kpi-rules-diff -->\n### kpi-rules diff: `")
    assert "| before \\ after | S | A | B | C | D |" in out
    assert "| **A** | 1 | 2 | · | · | · |" in out
    assert "| E2 |  | r | t1 | D -> C | 50 | 75 | +25 |" in out
    assert "| r | 5 | +7 | 0 | +25 |" in out
    assert "Pay coefficient sum: 3.6 → 4.7 (+1.1)" in out
    assert "~ bonuses.items[0].points: 5 -> 15" in out


def test_json_report(pair: tuple[Path, Path, Path]) -> None:
    old, new, data = pair
    code, out, _ = invoke("diff", str(old), str(new), "--data", str(data), "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert doc["period"] == "2024-Q1"
    assert doc["pay_coefficient_sum"] == {"before": 3.6, "after": 4.7, "delta": 1.1}
    assert [p["employee_id"] for p in doc["changed"]] == ["E2", "E3"]


@pytest.mark.parametrize(("same", "flag", "code"), [(False, False, 0), (False, True, 1), (True, True, 0)])
def test_fail_on_grade_change(pair: tuple[Path, Path, Path], same: bool, flag: bool, code: int) -> None:
    old, new, data = pair
    args = ["diff", str(old), str(old if same else new), "--data", str(data)]
    assert invoke(*args, *(["--fail-on-grade-change"] if flag else []))[0] == code


def test_limit(pair: tuple[Path, Path, Path]) -> None:
    old, new, data = pair
    _, out, _ = invoke("diff", str(old), str(new), "--data", str(data), "--limit", "1")
    assert "  ... and 1 more" in out.splitlines()


def test_invalid_version_exits_1_with_its_problems(pair: tuple[Path, Path, Path]) -> None:
    old, new, data = pair
    new.write_text(policy_yaml(NEW.replace("weight: 100%", "weight: 90%")), encoding="utf-8")
    code, out, err = invoke("diff", str(old), str(new), "--data", str(data))
    assert (code, out) == (1, "")
    assert "KR101" in err


@pytest.mark.parametrize("args", [["one.yaml"], ["one.yaml", "two.yaml", "--base", "HEAD"]])
def test_wrong_number_of_policies_is_a_usage_error(pair: tuple[Path, Path, Path], args: list[str]) -> None:
    old, new, data = pair
    paths = [str(old), str(new)][:len([a for a in args if a.endswith(".yaml")])]
    code, _, err = invoke("diff", *paths, *[a for a in args if not a.endswith(".yaml")], "--data", str(data))
    assert code == 2
    assert "give OLD and NEW" in err or "exactly one POLICY" in err


def test_several_periods_need_period(tmp_path: Path) -> None:
    rows = [dict(r, period=p) for r in ROWS[:1] for p in ("2024-Q1", "2024-Q2")]
    policy = tmp_path / "p.yaml"
    policy.write_text(policy_yaml(OLD), encoding="utf-8")
    code, _, err = invoke("diff", str(policy), str(policy), "--data", str(write_rows(tmp_path, rows)))
    assert code == 2
    assert "choose one with --period" in err


# ---------------------------------------------------------------- --base GIT_REV


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd,
                          capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with the ops policy committed, then a deliberately broken change committed on top:
    the on-target band (达标) scores 10 instead of 100."""
    root = tmp_path / "hr"
    (root / "policies").mkdir(parents=True)
    shutil.copy(OPS, root / "policies" / "ops-department.yaml")
    shutil.copy(OPS_DATA, root / "data.csv")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "policy")
    policy = root / "policies" / "ops-department.yaml"
    text = policy.read_text(encoding="utf-8")
    broken = text.replace("- {min: 1.0, score: 100, label: 达标}", "- {min: 1.0, score: 10, label: 达标}")
    assert broken != text
    policy.write_text(broken, encoding="utf-8")
    git(root, "commit", "-q", "-am", "typo")
    return root


def grades(policy_text: str, tmp: Path) -> dict[str, str]:
    """Each employee's grade, straight from the engine (independent of the diff code)."""
    path = tmp / "policy.yaml"
    path.write_text(policy_text, encoding="utf-8")
    policy = compile_policy(read_file_version(path).validation)
    ev = evaluate(policy, type_table(policy, read_table(OPS_DATA)), "2024-Q2")
    return {e["employee_id"]: e["grade"] or e["status"] for e in ev.result.employees()}


def test_broken_change_shows_as_grade_transitions(repo: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "kpi_rules", "diff", "policies/ops-department.yaml", "--base",
                           "HEAD~1", "--data", "data.csv", "--period", "2024-Q2", "--format", "json"],
                          cwd=repo, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["old"] == "HEAD~1:policies/ops-department.yaml"
    assert doc["new"] == "policies/ops-department.yaml"
    assert doc["fields"] == [{"path": "scales.achievement_bands.bands[1].score", "kind": "changed",
                              "old": 100, "new": 10}]
    before = grades(git(repo, "show", "HEAD~1:policies/ops-department.yaml"), tmp_path)
    after = grades((repo / "policies" / "ops-department.yaml").read_text(encoding="utf-8"), tmp_path)
    expected: dict[str, dict[str, int]] = {}
    for emp, old in before.items():
        expected.setdefault(old, {}).setdefault(after[emp], 0)
        expected[old][after[emp]] += 1
    assert doc["transitions"] == expected
    moved = sum(n for old, row in expected.items() for new, n in row.items() if old != new)
    assert moved == doc["summary"]["grade_changes"] == 18
    assert expected["A"] == {"C": 9}
    md = subprocess.run([sys.executable, "-m", "kpi_rules", "diff", "policies/ops-department.yaml", "--base",
                         "HEAD~1", "--data", "data.csv", "--period", "2024-Q2", "--format", "md",
                         "--fail-on-grade-change"], cwd=repo, capture_output=True, text=True, check=False)
    assert md.returncode == 1
    assert "| **A** | · | · | · | 9 | · | · |" in md.stdout


def test_base_from_a_subfolder(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "policies")
    code, out, _ = invoke("diff", "ops-department.yaml", "--base", "HEAD", "--data", "../data.csv",
                          "--period", "2024-Q2")
    assert code == 0
    assert "40 employees, 0 grade changes, 0 with a different result" in out


def test_base_without_the_file_is_a_usage_error(repo: Path) -> None:
    (repo / "policies" / "new.yaml").write_text(OPS.read_text(encoding="utf-8"), encoding="utf-8")
    code, _, err = invoke("diff", str(repo / "policies" / "new.yaml"), "--base", "HEAD", "--data",
                          str(repo / "data.csv"), "--period", "2024-Q2")
    assert code == 2
    assert "git show HEAD:policies/new.yaml" in err


def test_base_outside_git_is_a_usage_error(pair: tuple[Path, Path, Path]) -> None:
    old, _, data = pair
    code, _, err = invoke("diff", str(old), "--base", "HEAD", "--data", str(data))
    assert code == 2
    assert "git rev-parse --show-toplevel" in err


def test_base_that_looks_like_an_option_is_refused(repo: Path) -> None:
    target = repo / "written-by-git.txt"
    code, _, err = invoke("diff", str(repo / "policies" / "ops-department.yaml"), "--base", f"--output={target}",
                          "--data", str(repo / "data.csv"), "--period", "2024-Q2")
    assert code == 2
    assert "is not a git revision" in err
    assert not target.exists()


# ---------------------------------------------------------------- the data options (shared with evaluate)


def test_diff_reads_several_files_stdin_and_excel_options(pair: tuple[Path, Path, Path]) -> None:
    old, new, data = pair
    tmp = data.parent
    lines = data.read_text(encoding="utf-8").splitlines()
    first, second = tmp / "q1.csv", tmp / "more.txt"
    first.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    # the rest: `;`-separated, in Windows-1252, with a title row and the id column named differently
    rest = [lines[0].replace("employee_id", "Employee ID")] + lines[3:]
    second.write_bytes(("Q1 export\n" + "\n".join(r.replace(",", ";") for r in rest) + "\n").encode("cp1252"))
    expected = invoke("diff", str(old), str(new), "--data", str(data), "--format", "json")[1]
    code, out, err = invoke("diff", str(old), str(new), "--data", str(first), "--data", str(second),
                            "--data-format", "csv", "--encoding", "ansi", "--header-row", "1", "--format", "json")
    assert (code, err) == (1, f"error: {second.name}: none of the policy's columns (employee_id, role, sales) is in "
                              "the file, whose header reads: Q1 export; if the column names are on a later row (a "
                              "title above them), pass --header-row N; if they are named differently, map each with "
                              "--column NAME=HEADER\n")
    code, out, err = invoke("diff", str(old), str(new), "--data", str(second), "--data-format", "csv",
                            "--encoding", "cp1252", "--header-row", "2", "--column", "employee_id=Employee ID",
                            "--format", "json")
    assert code == 0, err
    assert json.loads(out)["summary"] == {"employees": 3, "changed": 1, "grade_changes": 1, "field_changes": 2}
    stdin = CliRunner().invoke(main, ["diff", str(old), str(new), "--data", "-", "--data-format", "csv",
                                      "--format", "json"], input=data.read_bytes())
    assert stdin.exit_code == 0
    assert json.loads(stdin.stdout)["changed"] == json.loads(expected)["changed"]
    assert json.loads(stdin.stdout)["data"] == "stdin"
    code, out, err = invoke("diff", str(old), str(new), "--data", str(first), "--data", str(first.with_name("q2.csv")))
    assert code == 2 and f"Invalid value for '--data': File '{tmp / 'q2.csv'}' does not exist." in err


def test_diff_of_four_quarters_as_one(pair: tuple[Path, Path, Path]) -> None:
    old, new, data = pair
    tmp = data.parent
    files = []
    for q in ("Q1", "Q2"):
        files.append(write_rows(tmp, [{**row, "period": f"2024-{q}"} for row in ROWS], name=q))
    code, out, err = invoke("diff", str(old), str(new), "--data", str(files[0]), "--data", str(files[1]),
                            "--period", "2024-Q2", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["summary"]["grade_changes"] == 2
    assert doc["data"] == "Q1.csv, Q2.csv"


def test_diff_header_row_on_json_is_a_usage_error(pair: tuple[Path, Path, Path]) -> None:
    old, new, _ = pair
    data = write_rows(old.parent, ROWS, fmt="json")
    code, _, err = invoke("diff", str(old), str(new), "--data", str(data), "--header-row", "2")
    assert code == 2
    assert (f"Invalid value for '--header-row': 2: it is for CSV files and Excel workbooks, whose column names "
            f"are on a row; {data} is a json file, which names its fields in each record: leave --header-row out"
            ) in " ".join(err.split())


def test_the_datas_notes_name_the_data_not_a_policy(pair: tuple[Path, Path, Path]) -> None:
    old, new, data = pair
    latin = data.with_name("latin.csv")
    latin.write_bytes(data.read_text(encoding="utf-8").replace("E1,", "Jürgen,", 1).encode("cp1252"))
    doc = json.loads(invoke("diff", str(old), str(new), "--data", str(latin), "--format", "json")[1])
    assert doc["notes"] == [f"{latin}: the file is not UTF-8 and was read as Windows-1252 (as Western Excel saves "
                            "CSV); if names look wrong, save it as UTF-8 or pass --encoding"]
