"""`kpi-rules validate` and `kpi-rules schema`, through click's CliRunner and
through a real subprocess: exit codes, every report format, --strict.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpi_rules.cli import main
from kpi_rules.policy.codes import all_codes

REPO = Path(__file__).resolve().parents[1]
OPS = REPO / "policies" / "ops-department.yaml"
SCHEMA = REPO / "schemas" / "policy.schema.json"

# A misspelt optional key: one error, KR010, and nothing else.
MISSPELT_FROM = "    label: 运营经理\n"
MISSPELT_TO = "    lable: 运营经理\n"
# An input nothing reads: one warning, KR116.
UNUSED_AFTER = "inputs:\n"
UNUSED_LINE = "  unused_col: {type: number, required: false}\n"


def _variant(tmp_path: Path, name: str, old: str, new: str) -> tuple[Path, int, int]:
    """ops-department.yaml with `old` replaced by `new`; returns (path, line, col) of `new`."""
    text = OPS.read_text(encoding="utf-8")
    assert text.count(old) == 1
    changed = text.replace(old, new)
    path = tmp_path / name
    path.write_text(changed, encoding="utf-8")
    before = changed[: changed.index(new)]
    return path, before.count("\n") + 1, 1


@pytest.fixture
def misspelt(tmp_path: Path) -> tuple[Path, int, int]:
    path, line, _ = _variant(tmp_path, "misspelt.yaml", MISSPELT_FROM, MISSPELT_TO)
    return path, line, MISSPELT_TO.index("lable") + 1


@pytest.fixture
def unused_input(tmp_path: Path) -> tuple[Path, int, int]:
    path, line, _ = _variant(tmp_path, "unused.yaml", UNUSED_AFTER, UNUSED_AFTER + UNUSED_LINE)
    return path, line + 1, UNUSED_LINE.index("unused_col") + 1


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


# ---------------------------------------------------------------- CliRunner


def test_bundled_policies_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out = invoke("validate", "policies/")
    assert code == 0
    assert out == "2 files, 0 errors, 0 warnings\n"


def test_default_path_is_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert invoke("validate") == (0, "2 files, 0 errors, 0 warnings\n")


def test_misspelt_key_text_report(misspelt: tuple[Path, int, int]) -> None:
    path, line, col = misspelt
    code, out = invoke("validate", str(path))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (f"{path}:{line}:{col}: error KR010 `lable` is not a field of `roles.ops_manager`  "
                        "[unknown-field]")
    number = str(line)
    assert lines[1] == f" {number} | {MISSPELT_TO.rstrip()}"
    assert lines[2] == f" {' ' * len(number)} | {' ' * (col - 1)}^"
    # The caret sits under the first letter of the misspelt key.
    assert lines[2].index("^") == lines[1].index("lable")
    assert lines[3] == "  help: did you mean `label`?"
    assert lines[-1] == "1 file, 1 error, 0 warnings"


def test_misspelt_key_json_report(misspelt: tuple[Path, int, int]) -> None:
    path, line, col = misspelt
    code, out = invoke("validate", "--format", "json", str(path))
    assert code == 1
    report = json.loads(out)
    assert report["summary"] == {"files": 1, "errors": 1, "warnings": 0, "text": "1 file, 1 error, 0 warnings"}
    [entry] = report["files"]
    assert entry["file"] == str(path)
    assert entry["valid"] is False
    [problem] = entry["problems"]
    assert (problem["code"], problem["line"], problem["col"]) == ("KR010", line, col)
    assert problem["severity"] == "error"
    assert problem["name"] == "unknown-field"
    assert problem["path"] == "roles.ops_manager.lable"
    assert problem["hint"] == "did you mean `label`?"


def test_misspelt_key_github_report(misspelt: tuple[Path, int, int]) -> None:
    path, line, col = misspelt
    code, out = invoke("validate", "--format", "github", str(path))
    assert code == 1
    lines = out.splitlines()
    file = str(path).replace(":", "%3A").replace(",", "%2C")
    assert lines[0] == (
        f"::error file={file},line={line},col={col},title=KR010 unknown-field::"
        "`lable` is not a field of `roles.ops_manager` (help: did you mean `label`?)"
    )
    assert lines[1:] == ["1 file, 1 error, 0 warnings"]


def test_misspelt_key_junit_report(misspelt: tuple[Path, int, int]) -> None:
    path, line, col = misspelt
    code, out = invoke("validate", "--format", "junit", str(path))
    assert code == 1
    root = ET.fromstring(out)
    assert root.tag == "testsuites"
    assert root.get("failures") == "1"
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == [str(path)]
    failures = root.findall(".//failure")
    assert len(failures) == 1
    assert failures[0].get("type") == "KR010"
    assert (failures[0].text or "").startswith(f"{path}:{line}:{col}: KR010 ")


def test_misspelt_key_sarif_report(misspelt: tuple[Path, int, int]) -> None:
    path, line, col = misspelt
    code, out = invoke("validate", "--format", "sarif", str(path))
    assert code == 1
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    [run] = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    rule_ids = [r["id"] for r in rules]
    assert rule_ids == sorted({c.code for c in all_codes()})
    for code_id in ["KR001", "KR002", "KR003", "KR004", "KR005", "KR010", "KR011", "KR012", "KR013",
                    "KR101", "KR102", "KR103", "KR104", "KR105", "KR106", "KR116", "KR117", "KR119"]:
        assert code_id in rule_ids
    assert all(r["shortDescription"]["text"] for r in rules)
    [result] = run["results"]
    assert result["ruleId"] == "KR010"
    assert result["level"] == "error"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (line, col)
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == str(path).replace("\\", "/")


def _junit_clean(out: str) -> bool:
    root = ET.fromstring(out)
    return root.get("failures") == "0" and root.findall(".//failure") == []


VALID_REPORTS = [
    ("text", lambda out: out == "1 file, 0 errors, 0 warnings\n"),
    ("json", lambda out: json.loads(out)["summary"] == {"files": 1, "errors": 0, "warnings": 0,
                                                         "text": "1 file, 0 errors, 0 warnings"}),
    ("github", lambda out: out == "1 file, 0 errors, 0 warnings\n"),
    ("junit", _junit_clean),
    ("sarif", lambda out: json.loads(out)["runs"][0]["results"] == []),
]


@pytest.mark.parametrize(("fmt", "check"), VALID_REPORTS, ids=[v[0] for v in VALID_REPORTS])
def test_valid_policy_in_every_format(fmt: str, check: Callable[[str], bool]) -> None:
    code, out = invoke("validate", "--format", fmt, str(OPS))
    assert code == 0
    assert check(out)


@pytest.mark.parametrize(("strict", "exit_code"), [([], 0), (["--strict"], 1)], ids=["default", "strict"])
def test_strict_turns_a_warning_into_failure(unused_input: tuple[Path, int, int], strict: list[str],
                                              exit_code: int) -> None:
    path, line, col = unused_input
    code, out = invoke("validate", *strict, str(path))
    assert code == exit_code
    lines = out.splitlines()
    assert lines[0] == (f"{path}:{line}:{col}: warning KR116 no formula reads the input `unused_col`  "
                        "[unused-input]")
    assert lines[-1] == "1 file, 0 errors, 1 warning"


def test_warning_in_json_and_github(unused_input: tuple[Path, int, int]) -> None:
    path, line, col = unused_input
    code, out = invoke("validate", "--format", "json", str(path))
    assert code == 0
    [problem] = json.loads(out)["files"][0]["problems"]
    assert (problem["code"], problem["severity"], problem["line"], problem["col"]) == ("KR116", "warning", line, col)
    code, out = invoke("validate", "--format", "github", "--strict", str(path))
    assert code == 1
    assert out.splitlines()[0].startswith("::warning file=")
    assert f",line={line},col={col},title=KR116 unused-input::" in out


def test_several_files_and_folders(tmp_path: Path, misspelt: tuple[Path, int, int]) -> None:
    good = tmp_path / "sub" / "good.yml"
    good.parent.mkdir()
    shutil.copy(OPS, good)
    (tmp_path / "sub" / "cases.test.yaml").write_text("not: a policy\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored\n", encoding="utf-8")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)  # a repository's CI files are not policies
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text("on: push\n", encoding="utf-8")
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n", encoding="utf-8")
    code, out = invoke("validate", "--format", "json", str(tmp_path))
    assert code == 1
    report = json.loads(out)
    files = [(Path(f["file"]).name, f["valid"]) for f in report["files"]]
    assert files == [("misspelt.yaml", False), ("good.yml", True)]
    assert report["summary"]["text"] == "2 files, 1 error, 0 warnings"


@pytest.mark.parametrize(
    "args",
    [["validate", "does-not-exist.yaml"], ["validate", "--format", "xml", "policies/"], ["validate", "--nope"],
     ["nope"]],
    ids=["missing path", "unknown format", "unknown option", "unknown command"],
)
def test_usage_errors_exit_2(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "Usage:" in result.output


def test_no_policy_files_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("x\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert "no policy files" in result.output


def test_no_paths_and_no_policies_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 2
    assert "no policies/ folder here" in result.output


def test_loader_problems_reach_the_report(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes("a: 中文\n".encode("gbk"))
    code, out = invoke("validate", str(path))
    assert code == 1
    assert out.splitlines()[0].startswith(f"{path}:1:4: error KR004 ")
    assert out.splitlines()[-1] == "1 file, 1 error, 0 warnings"


NON_FINITE = [
    ("active_users:    {weight: 5%,  target: 150000, scale: achievement_bands}", "150000", ".nan"),
    ("      - {min: 1.2, score: 120, label: 大幅超额}", "1.2", ".inf"),
]


@pytest.mark.parametrize(("line_text", "old", "new"), NON_FINITE, ids=[n[2] for n in NON_FINITE])
def test_non_finite_numbers_are_refused(tmp_path: Path, line_text: str, old: str, new: str) -> None:
    path, line, _ = _variant(tmp_path, "nonfinite.yaml", line_text, line_text.replace(old, new, 1))
    code, out = invoke("validate", "--format", "json", str(path))
    assert code == 1
    problems = json.loads(out)["files"][0]["problems"]
    assert [p["line"] for p in problems if p["severity"] == "error"] == [line]


def test_schema_command_prints_the_schema_file() -> None:
    code, out = invoke("schema")
    assert code == 0
    assert json.loads(out) == json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert invoke("schema", "policy") == (0, out)


def test_validate_fifty_policies(tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    for i in range(50):
        shutil.copy(OPS, folder / f"ops-{i:02d}.yaml")
    started = time.perf_counter()
    code, out = invoke("validate", str(folder))
    elapsed = time.perf_counter() - started
    print(f"\nvalidated 50 copies of ops-department.yaml in {elapsed:.2f}s ({elapsed / 50 * 1000:.1f} ms per file)")
    assert code == 0
    assert out == "50 files, 0 errors, 0 warnings\n"


# ---------------------------------------------------------------- real subprocess


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "kpi_rules", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def test_subprocess_valid() -> None:
    done = run_cli("validate", "policies/")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "2 files, 0 errors, 0 warnings\n"
    assert done.stderr == ""


def test_subprocess_invalid(misspelt: tuple[Path, int, int]) -> None:
    path, line, col = misspelt
    done = run_cli("validate", str(path))
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[0].startswith(f"{path}:{line}:{col}: error KR010 ")
    assert "  help: did you mean `label`?" in done.stdout.splitlines()
    assert done.stdout.endswith("1 file, 1 error, 0 warnings\n")
    assert done.stderr == ""


def test_subprocess_strict(unused_input: tuple[Path, int, int]) -> None:
    path, _, _ = unused_input
    assert run_cli("validate", str(path)).returncode == 0
    assert run_cli("validate", "--strict", str(path)).returncode == 1


def test_subprocess_usage_error(tmp_path: Path) -> None:
    done = run_cli("validate", str(tmp_path / "nope.yaml"))
    assert done.returncode == 2
    assert done.stdout == ""
    assert "does not exist" in done.stderr


def test_subprocess_schema() -> None:
    done = run_cli("schema", cwd=REPO.parent)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(SCHEMA.read_text(encoding="utf-8"))


def test_a_file_that_cannot_be_read_is_an_error_not_a_traceback(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    locked, good = tmp_path / "locked.yaml", tmp_path / "good.yaml"
    shutil.copy(OPS, locked)
    shutil.copy(OPS, good)
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "locked.yaml":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    result = CliRunner().invoke(main, ["validate", str(locked), str(good)])
    assert result.exit_code == 1 and isinstance(result.exception, (SystemExit, type(None)))
    assert f"error: {locked}: cannot be read: Permission denied" in result.output
    assert "1 file, 0 errors, 0 warnings" in result.output  # the other file is still validated
