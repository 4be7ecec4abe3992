"""Policies over HTTP (SERVICE.md 6): listing, one policy at a git revision, history, validate,
refs that are never options or paths, duplicate ids, reload with the last good version kept."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from serve_helpers import POLICIES, bearer, client, settings, tokens_for

from kpi_rules.cli import main

OPS = POLICIES / "ops-department.yaml"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.org", *args], cwd=repo, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "policies"
    folder.mkdir()
    shutil.copy(OPS, folder / "ops-department.yaml")
    _git(folder, "init", "-q", "-b", "main")
    _git(folder, "add", ".")
    _git(folder, "commit", "-qm", "first version")
    text = (folder / "ops-department.yaml").read_text()
    (folder / "ops-department.yaml").write_text(text.replace('version: "2024.1"', 'version: "2024.2"', 1))
    _git(folder, "commit", "-qam", "second version")
    return folder


def _client(tmp_path: Path, folder: Path, **more: object) -> TestClient:
    return client(settings(tmp_path, f"sqlite:///{tmp_path / 's.db'}", policy_dir=folder, **more))


def test_list_and_get(tmp_path: Path) -> None:
    c = client(settings(tmp_path, f"sqlite:///{tmp_path / 's.db'}"))
    items = c.get("/v1/policies").json()["items"]
    ops = next(i for i in items if i["id"] == "ops-department")
    assert set(ops) >= {"id", "title", "version", "locale", "path", "sha256", "commit", "effective"}
    assert ops["path"] == "ops-department.yaml" and ops["locale"] == "zh-CN"
    assert set(ops["effective"]) == {"from", "to"}
    one = c.get("/v1/policies/ops-department").json()
    assert one["source"] == OPS.read_text(encoding="utf-8")
    assert one["document"]["kind"] == "AppraisalPolicy"
    assert c.get("/v1/policies/nope").status_code == 404


def test_every_role_may_read_policies(tmp_path: Path) -> None:
    tokens = tmp_path / "t.yaml"
    made = tokens_for(tokens)
    c = client(settings(tmp_path, f"sqlite:///{tmp_path / 's.db'}", tokens))
    for secret in made.values():
        assert c.get("/v1/policies/ops-department", headers=bearer(secret)).status_code == 200
        assert c.post("/v1/validate", content=OPS.read_bytes(), headers={**bearer(secret),
                      "Content-Type": "application/yaml"}).json()["valid"] is True


def test_ref_history_and_dirty(tmp_path: Path, repo: Path) -> None:
    c = _client(tmp_path, repo)
    now = c.get("/v1/policies/ops-department").json()
    assert now["version"] == "2024.2" and now["dirty"] is False and len(now["commit"]) == 40
    old = c.get("/v1/policies/ops-department", params={"ref": "HEAD~1"}).json()
    assert old["version"] == "2024.1" and old["commit"] != now["commit"]
    history = c.get("/v1/policies/ops-department/history").json()["items"]
    assert [(h["subject"], h["version"]) for h in history] == [("second version", "2024.2"),
                                                               ("first version", "2024.1")]
    assert c.get("/v1/policies/ops-department", params={"ref": "no-such-branch"}).status_code == 404


@pytest.mark.parametrize("ref", ["--output=/tmp/x", "-p", "../../etc/passwd", "HEAD:../../etc/passwd",
                                 "--upload-pack=touch /tmp/pwned", "a b", "HEAD;id", "$(id)", "@{-1}", "x" * 300])
def test_hostile_refs_are_4xx(tmp_path: Path, repo: Path, ref: str) -> None:
    c = _client(tmp_path, repo)
    response = c.get("/v1/policies/ops-department", params={"ref": ref})
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("policy_id", ["../ops-department", "..%2F..%2Fetc%2Fpasswd", "-rf", "ops department"])
def test_hostile_ids_are_404(tmp_path: Path, policy_id: str) -> None:
    c = client(settings(tmp_path, f"sqlite:///{tmp_path / 's.db'}"))
    assert c.get(f"/v1/policies/{policy_id}").status_code == 404


def test_validate_gives_the_cli_problems(tmp_path: Path) -> None:
    broken = OPS.read_text(encoding="utf-8").replace("weight: 15%", "weight: 16%", 1)
    path = tmp_path / "policy.yaml"
    path.write_text(broken, encoding="utf-8")
    cli = json.loads(CliRunner().invoke(main, ["validate", "--format", "json", str(path)]).stdout)
    c = client(settings(tmp_path, f"sqlite:///{tmp_path / 's.db'}"))
    response = c.post("/v1/validate", content=broken.encode(), headers={"Content-Type": "text/yaml",
                      "Content-Disposition": f'attachment; filename="{path}"'})
    assert response.status_code == 200
    body = response.json()
    expected = cli["files"][0]["problems"]
    assert body["valid"] is False and expected
    assert [{k: v for k, v in p.items() if k not in ("column", "file")} for p in body["problems"]] == [
        {k: v for k, v in p.items() if k != "file"} for p in expected]
    assert all(p["column"] == p["col"] for p in body["problems"])
    assert c.post("/v1/validate", content=b"a: 1", headers={"Content-Type": "text/csv"}).status_code == 415


def test_validate_refuses_a_body_over_the_limit(tmp_path: Path) -> None:
    c = client(settings(tmp_path, f"sqlite:///{tmp_path / 's.db'}", max_upload=1000))
    response = c.post("/v1/validate", content=b"x" * 2000, headers={"Content-Type": "text/yaml"})
    assert response.status_code == 413


def test_duplicates_are_refused_and_shown(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    shutil.copy(OPS, folder / "a.yaml")
    shutil.copy(OPS, folder / "b.yaml")
    c = _client(tmp_path, folder)
    assert c.get("/v1/policies").json()["items"] == []
    failed = c.get("/v1/status").json()["failed"]
    assert sorted(f["path"] for f in failed) == ["a.yaml", "b.yaml"]
    assert c.get("/readyz").status_code == 200


def test_reload_keeps_the_last_good_version(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    shutil.copy(OPS, folder / "ops.yaml")
    app = _client(tmp_path, folder, reload_seconds=0.1).app
    with TestClient(app) as c:  # the lifespan starts the watcher
        assert c.get("/v1/policies/ops-department").json()["version"] == "2024.1"
        text = OPS.read_text(encoding="utf-8")
        (folder / "ops.yaml").write_text(text.replace('version: "2024.1"', 'version: "2024.3"', 1), encoding="utf-8")
        _until(lambda: c.get("/v1/policies/ops-department").json()["version"] == "2024.3")
        (folder / "ops.yaml").write_text(text.replace("weight: 15%", "weight: 16%", 1), encoding="utf-8")
        _until(lambda: c.get("/v1/status").json()["failed"] != [])
        assert c.get("/v1/policies/ops-department").json()["version"] == "2024.3"  # the last good one
        shutil.copy(folder / "ops.yaml", folder / "broken-copy.yaml")
        shutil.copy(OPS, folder / "clash.yaml")
        (folder / "ops.yaml").write_text(text, encoding="utf-8")
        _until(lambda: any("claimed" in str(f) for f in c.get("/v1/status").json()["failed"]))
        # the version in service stays while two files claim its id
        assert c.get("/v1/policies/ops-department").json()["version"] == "2024.3"
        def reloads() -> list[dict[str, Any]]:
            return [e for e in c.get("/v1/audit", params={"limit": 1000}).json()["items"]
                    if e["action"] == "policy.reload"]

        _until(lambda: {e["status"] for e in reloads()} == {200, 409, 422})  # audit entries are written apart
        # SERVICE.md 5 and 6: a file refused for its clashing id is audited as refused (409), not as loaded
        refused = {e["target"].rsplit("/", 1)[-1] for e in reloads() if e["status"] == 409}
        assert "clash.yaml" in refused and refused <= {"ops.yaml", "clash.yaml"}
        assert any("the version already in service stays" in str(f) for f in c.get("/v1/status").json()["failed"])


def _until(check: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("not within the time")
