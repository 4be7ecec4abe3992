"""`kpi-rules init`: the scaffolded policy repository validates, tests and diffs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kpi_rules import __version__
from kpi_rules.cli import main

REPO = Path(__file__).resolve().parents[1]
FILES = [
    ".github/workflows/kpi-rules.yml",
    ".gitignore",
    ".pre-commit-config.yaml",
    "README.md",
    "data/sample.csv",
    "policies/appraisal.yaml",
    "tests/policies/appraisal.test.yaml",
]


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture
def scaffolded(tmp_path: Path) -> Path:
    target = tmp_path / "hr-policies"
    code, out = invoke("init", str(target))
    assert code == 0, out
    return target


def listing(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_init_writes_the_scaffold(scaffolded: Path) -> None:
    assert listing(scaffolded) == FILES
    for name in FILES:
        assert "{{repo}}" not in (scaffolded / name).read_text(encoding="utf-8"), name


def test_validate_and_test_pass_in_the_new_repository(scaffolded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(scaffolded)
    assert invoke("validate") == (0, "1 file, 0 errors, 0 warnings\n")
    code, out = invoke("test", "--coverage", "--threshold", "90")
    assert code == 0, out
    assert out.splitlines()[-2:] == ["coverage policies/appraisal.yaml: 100.0% (17 of 17 reached)",
                                     "10 passed, 0 failed"]


def test_pre_commit_config_uses_this_repositorys_hooks(scaffolded: Path) -> None:
    config = yaml.safe_load((scaffolded / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [entry] = config["repos"]
    assert entry["rev"] == f"v{__version__}"
    assert [h["id"] for h in entry["hooks"]] == [h["id"] for h in hooks] == ["kpi-rules-validate", "kpi-rules-test"]


def test_workflow_runs_validate_test_and_posts_the_diff(scaffolded: Path) -> None:
    text = (scaffolded / ".github" / "workflows" / "kpi-rules.yml").read_text(encoding="utf-8")
    workflow = yaml.safe_load(text)
    assert list(workflow[True]) == ["pull_request"]  # YAML 1.1 reads the key `on` as true
    steps = workflow["jobs"]["policies"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "kpi-rules validate --format github policies/" in runs
    assert "kpi-rules test --format github --coverage --threshold 90" in runs
    assert "kpi-rules diff \"$policy\" --base \"$base\"" in runs and "--format md" in runs
    assert "gh pr comment" in runs
    assert workflow["env"]["KPI_RULES"] == f"kpi-rules=={__version__}"
    assert workflow["permissions"]["pull-requests"] == "write"


def test_the_workflows_diff_recipe_works_in_the_new_repository(scaffolded: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=scaffolded,
                       check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "scaffold")
    policy = scaffolded / "policies" / "appraisal.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("min: 90, label: Meets", "min: 98, label: Meets"),
                      encoding="utf-8")
    code, out = invoke("diff", str(policy), "--base", "HEAD", "--data", str(scaffolded / "data" / "sample.csv"),
                       "--period", "2024-Q2", "--format", "md")
    assert code == 0, out
    assert "~ grades[1].min: 90 -> 98" in out
    assert "6 employees, 1 grade change" in out


def test_a_non_empty_folder_is_refused_without_force(scaffolded: Path) -> None:
    readme = scaffolded / "README.md"
    readme.write_text("mine", encoding="utf-8")
    code, out = invoke("init", str(scaffolded))
    assert code == 2
    assert "is not empty" in out and "--force" in out
    assert readme.read_text(encoding="utf-8") == "mine"
    assert invoke("init", str(scaffolded), "--force")[0] == 0
    assert readme.read_text(encoding="utf-8") != "mine"


def test_an_existing_empty_folder_is_fine(tmp_path: Path) -> None:
    assert invoke("init", str(tmp_path))[0] == 0
    assert listing(tmp_path) == FILES


def test_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    code, out = invoke("init", str(target))
    assert code == 2
    assert "is a file" in out
