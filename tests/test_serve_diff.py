"""POST /v1/diff gives the document of `kpi-rules diff --format json` on the evaluation's stored data."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from serve_helpers import POLICIES, ROOT, bearer, client, settings, tokens_for

DATA = ROOT / "examples" / "ops-2024.csv"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.org", *args], cwd=repo, check=True,
                   capture_output=True)


def test_diff_is_the_clis(tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    policy = folder / "ops-department.yaml"
    shutil.copy(POLICIES / "ops-department.yaml", policy)
    _git(folder, "init", "-q", "-b", "main")
    _git(folder, "add", ".")
    _git(folder, "commit", "-qm", "one")
    edited = policy.read_text(encoding="utf-8").replace("{grade: B, min: 85,", "{grade: B, min: 88,")
    made = tokens_for(tmp_path / "tokens.yaml")
    with TestClient(client(settings(tmp_path, f"sqlite:///{tmp_path / 'db'}", tmp_path / "tokens.yaml",
                                    policy_dir=folder)).app) as c:
        created = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"},
                         content=DATA.read_bytes(), headers={**bearer(made["svc"]), "Content-Type": "text/csv",
                                                             "Content-Disposition": "attachment; filename=ops.csv"})
        eid = created.json()["evaluation_id"]
        body = {"policy": "ops-department", "base": {"ref": "HEAD"}, "head": {"source": edited},
                "evaluation_id": eid}
        response = c.post("/v1/diff", json=body, headers=bearer(made["svc"]))
        assert response.status_code == 200, response.text
        served = response.json()

        policy.write_text(edited, encoding="utf-8")
        shutil.copy(DATA, folder / "ops.csv")
        cli = subprocess.run([sys.executable, "-m", "kpi_rules", "diff", "ops-department.yaml", "--base", "HEAD",
                              "--data", "ops.csv", "--period", "2024-Q2", "--format", "json"], cwd=folder,
                             capture_output=True, check=False)
        assert response.content == cli.stdout
        assert served["changed"]

        broken = c.post("/v1/diff", json={**body, "head": {"source": "policy: [unclosed"}}, headers=bearer(made["hr"]))
        assert broken.status_code == 422 and broken.json()["problems"]
        assert c.post("/v1/diff", json={**body, "base": {"ref": "--output=/tmp/x"}},
                      headers=bearer(made["hr"])).status_code == 400
        assert c.post("/v1/diff", json={**body, "evaluation_id": "nope"}, headers=bearer(made["hr"])).status_code == 404
        assert c.post("/v1/diff", json=body, headers=bearer(made["mgr"])).status_code == 403
        assert c.post("/v1/diff", json={"policy": 1}, headers=bearer(made["hr"])).status_code == 422
