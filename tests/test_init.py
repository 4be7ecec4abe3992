"""`kpi-rules init`: the scaffolded policy repository validates, tests and diffs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kpi_rules import __version__
from kpi_rules.cli import main
from kpi_rules.scaffold import create

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


def test_pre_commit_config_runs_this_repositorys_hooks_without_a_tag(scaffolded: Path) -> None:
    # Local hooks installing the same kpi-rules as CI: no `rev:` naming a tag that may not exist.
    config = yaml.safe_load((scaffolded / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [entry] = config["repos"]
    assert entry["repo"] == "local" and "rev" not in entry
    assert [h["id"] for h in entry["hooks"]] == [h["id"] for h in hooks] == ["kpi-rules-validate", "kpi-rules-test"]
    for mine, theirs in zip(entry["hooks"], hooks, strict=True):
        assert mine.pop("additional_dependencies") == [f"kpi-rules=={__version__}"]
        assert mine == {k: v for k, v in theirs.items() if k != "description"}


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
    assert workflow["env"]["KPI_RULES"] == f"kpi-rules=={__version__}"  # this test runs the editable checkout
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
    env = yaml.safe_load((scaffolded / ".github" / "workflows" / "kpi-rules.yml").read_text(encoding="utf-8"))["env"]
    code, out = invoke("diff", str(policy), "--base", "HEAD", "--data", str(scaffolded / env["DIFF_DATA"]),
                       "--period", env["DIFF_PERIOD"], "--format", "md")
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


def test_install_overrides_what_ci_and_the_hooks_install(tmp_path: Path) -> None:
    spec = "kpi-rules @ git+https://github.com/kpi-rules/kpi-rules@0123abc"
    code, out = invoke("init", str(tmp_path / "r"), "--install", spec)
    assert code == 0, out
    assert f"CI and the pre-commit hooks install: {spec}" in out
    workflow = yaml.safe_load((tmp_path / "r" / ".github" / "workflows" / "kpi-rules.yml").read_text(encoding="utf-8"))
    assert workflow["env"]["KPI_RULES"] == spec
    config = yaml.safe_load((tmp_path / "r" / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert [h["additional_dependencies"] for h in config["repos"][0]["hooks"]] == [[spec], [spec]]
    assert f'pip install "{spec}"' in (tmp_path / "r" / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("spec", ["", "  ", 'kpi-rules"==1', "kpi-rules\n==1"])
def test_install_refuses_what_would_break_the_files(tmp_path: Path, spec: str) -> None:
    code, out = invoke("init", str(tmp_path / "r"), "--install", spec)
    assert code == 2 and "--install" in out
    assert not (tmp_path / "r").exists()


def direct_url(monkeypatch: pytest.MonkeyPatch, text: str | None) -> None:
    class Dist:
        def read_text(self, name: str) -> str | None:
            assert name == "direct_url.json"
            return text

    monkeypatch.setattr(create.metadata, "distribution", lambda name: Dist())


@pytest.mark.parametrize(("text", "spec", "local"), [
    (None, f"kpi-rules=={__version__}", None),  # from a package index
    ('{"url": "https://github.com/kpi-rules/kpi-rules", "vcs_info": {"vcs": "git", "commit_id": "9f8e7d"}}',
     "kpi-rules @ git+https://github.com/kpi-rules/kpi-rules@9f8e7d", None),
    ('{"url": "https://example.org/kpi_rules-0.1.0-py3-none-any.whl", "archive_info": {}}',
     "kpi-rules @ https://example.org/kpi_rules-0.1.0-py3-none-any.whl", None),
    ('{"url": "file:///home/me/kpi-rules", "dir_info": {"editable": true}}', f"kpi-rules=={__version__}",
     "/home/me/kpi-rules"),
])
def test_the_install_line_is_where_the_running_kpi_rules_came_from(monkeypatch: pytest.MonkeyPatch, text: str | None,
                                                                 spec: str, local: str | None) -> None:
    direct_url(monkeypatch, text)
    assert create.running_source() == create.Source(spec, local)


def test_a_local_install_is_named_with_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    direct_url(monkeypatch, '{"url": "file:///home/me/kpi-rules", "dir_info": {"editable": true}}')
    result = CliRunner().invoke(main, ["init", str(tmp_path / "r")])
    assert result.exit_code == 0
    assert result.stderr == (f"warning: this kpi-rules was installed from /home/me/kpi-rules, which CI cannot reach: "
                             f"check that kpi-rules=={__version__} is on your package index, or run init again with "
                             "--install (see docs/ci.md)\n")


def test_the_diff_period_is_the_latest_in_the_scaffolds_data(scaffolded: Path) -> None:
    text = (scaffolded / "data" / "sample.csv").read_text(encoding="utf-8")
    assert create.latest_period(text) == "2024-Q2"
    assert create.latest_period("employee_id,period\nE1,2025-Q1\nE2,2024-Q4\nE3,2025-Q2\nE4,\n") == "2025-Q2"
    assert create.latest_period("employee_id,period\nE1,2024-11\nE2,2024-02\n") == "2024-11"
    with pytest.raises(create.ScaffoldError):
        create.latest_period("employee_id\nE1\n")
