"""The real `pre-commit` tool runs the hooks of a repository made by `kpi-rules init`
(local hooks, the same as this repository's .pre-commit-hooks.yaml): passing on a
good policy, failing on a broken one.

pre-commit installs a hook repository from git at a given commit. To test the
hooks and the code as they are in this checkout (committed or not), the
checkout's files are copied into a temporary git repository and committed
there; pre-commit then installs kpi-rules from it into a virtualenv of its
own (which needs the package index, like any pre-commit user).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpi_rules.cli import main

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd,
                          capture_output=True, text=True, check=True)
    return done.stdout


def ensure_pre_commit() -> None:
    probe = subprocess.run([sys.executable, "-m", "pre_commit", "--version"], capture_output=True, check=False)
    if probe.returncode != 0:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "pre-commit"], check=True)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository holding this checkout's files in one commit: (path, commit)."""
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    ensure_pre_commit()
    listed = git(REPO, "ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
    target = tmp_path_factory.mktemp("hooks") / "kpi-rules"
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git(target, "init", "-q")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "hooks under test")
    return target, git(target, "rev-parse", "HEAD").strip()


def run_pre_commit(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    git(repo, "add", "-A")  # pre-commit looks at the files git knows
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never")
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=repo, env=env,
                          capture_output=True, text=True, check=False, timeout=1500)


def test_hooks_pass_on_a_good_policy_and_fail_on_a_broken_one(hook_repo: tuple[Path, str], tmp_path: Path) -> None:
    source, rev = hook_repo
    repo = tmp_path / "hr-policies"
    # The scaffold's own .pre-commit-config.yaml, as `kpi-rules init --install` writes it: no tag needed.
    install = f"kpi-rules @ git+file://{source}@{rev}"
    assert CliRunner().invoke(main, ["init", str(repo), "--install", install]).exit_code == 0
    assert f'additional_dependencies: ["{install}"]' in (repo / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    git(repo, "init", "-q")
    home = tmp_path / "pre-commit-home"

    good = run_pre_commit(repo, home)
    assert good.returncode == 0, good.stdout + good.stderr
    assert [line.rsplit(".", 1)[-1] for line in good.stdout.splitlines() if line.startswith("kpi-rules ")] == [
        "Passed", "Passed"]

    policy = repo / "policies" / "appraisal.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace("sales:        {weight: 50%", "sales:        {weight: 40%"), encoding="utf-8")
    broken = run_pre_commit(repo, home)
    assert broken.returncode == 1
    assert "kpi-rules validate" in broken.stdout and "Failed" in broken.stdout
    assert "policies/appraisal.yaml" in broken.stdout and "KR101" in broken.stdout

    policy.write_text(text, encoding="utf-8")
    cases = repo / "tests" / "policies" / "appraisal.test.yaml"
    before = cases.read_text(encoding="utf-8")
    assert "expect: {final: 92, grade: B}" in before
    cases.write_text(before.replace("expect: {final: 92, grade: B}", "expect: {final: 93, grade: B}"), encoding="utf-8")
    failing = run_pre_commit(repo, home)
    assert failing.returncode == 1
    assert "FAIL tests/policies/appraisal.test.yaml::team lead on target" in failing.stdout
    assert "9 passed, 1 failed" in failing.stdout
