"""`kpi-rules serve`, `token` and `audit verify` as a user runs them: real subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner
from serve_helpers import POLICIES, free_port

from kpi_rules.cli import main

KPI = [sys.executable, "-m", "kpi_rules"]


def _wait_ready(port: int, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read() if proc.stderr else b""
            raise AssertionError(f"the server exited with {proc.returncode}: {err!r}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("the server did not start")


def test_serve_without_tokens_is_loopback_hr_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "KPI_RULES_TOKENS"}
    proc = subprocess.Popen([*KPI, "serve", str(POLICIES), "--port", str(port), "--db",
                             f"sqlite:///{tmp_path / 'db.sqlite'}"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_ready(port, proc)
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
        # every caller is hr: the audit log is readable without a token
        assert httpx.get(f"http://127.0.0.1:{port}/v1/audit").status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    # uvicorn shuts down cleanly, then re-raises the signal: the program exits 128 + SIGTERM, as Unix tools do
    assert proc.returncode in (0, 128 + signal.SIGTERM, -signal.SIGTERM), err.decode()
    assert "Application shutdown complete" in err.decode()
    assert "every caller is treated as hr" in err.decode()


def test_serve_refuses_a_public_address_without_tokens(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KPI_RULES_TOKENS"}
    done = subprocess.run([*KPI, "serve", str(POLICIES), "--host", "0.0.0.0", "--port", str(free_port()),
                           "--db", f"sqlite:///{tmp_path / 'db.sqlite'}"], cwd=tmp_path, env=env,
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 2
    assert b"without --tokens" in done.stderr
    assert not (tmp_path / "db.sqlite").exists()


def test_serve_refuses_a_bad_size() -> None:
    result = CliRunner().invoke(main, ["serve", "--max-upload", "12 parsecs"])
    assert result.exit_code == 2
    assert "not a size" in result.output


def test_token_add_list_revoke(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.yaml"
    runner = CliRunner()
    added = runner.invoke(main, ["token", "add", "lee", "--role", "manager", "--team", "growth", "--team", "brand",
                                 "--tokens", str(tokens)])
    assert added.exit_code == 0, added.output
    secret = added.stdout.strip().splitlines()[-1]
    assert len(secret) >= 40
    stored = tokens.read_text()
    assert secret not in stored
    [entry] = yaml.safe_load(stored)
    assert set(entry) == {"name", "sha256", "role", "teams", "employee_id", "created"}
    assert entry["teams"] == ["growth", "brand"] and entry["employee_id"] is None
    assert entry["created"].endswith("Z")
    assert oct(tokens.stat().st_mode & 0o777) == "0o600"
    emp = runner.invoke(main, ["token", "add", "e1", "--role", "employee", "--employee", "E001", "--tokens",
                               str(tokens)])
    assert emp.exit_code == 0
    listed = runner.invoke(main, ["token", "list", "--tokens", str(tokens)])
    assert "lee\tmanager\tgrowth,brand" in listed.stdout and "e1\temployee\tE001" in listed.stdout
    assert secret not in listed.output and entry["sha256"] not in listed.output
    assert runner.invoke(main, ["token", "add", "lee", "--role", "hr", "--tokens", str(tokens)]).exit_code == 2
    assert runner.invoke(main, ["token", "add", "m", "--role", "manager", "--tokens", str(tokens)]).exit_code == 2
    assert runner.invoke(main, ["token", "revoke", "lee", "--tokens", str(tokens)]).exit_code == 0
    assert runner.invoke(main, ["token", "revoke", "lee", "--tokens", str(tokens)]).exit_code == 1
    assert [e["name"] for e in yaml.safe_load(tokens.read_text())] == ["e1"]


def test_serve_needs_a_policy_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", str(tmp_path / "missing")])
    assert result.exit_code == 2


@pytest.mark.parametrize(("args", "message"), [
    (["--workers", "0"], "Invalid value for '--workers': 0 is not in the range 1<=x<=64"),
    (["--workers", "65"], "Invalid value for '--workers': 65 is not in the range 1<=x<=64"),
    (["--workers", "two"], "Invalid value for '--workers': 'two' is not a valid integer"),
    (["--keep-evaluations", "0"], "Invalid value for '--keep-evaluations': 0 is not in the range x>=1"),
    (["--keep-evaluations", "-3"], "Invalid value for '--keep-evaluations': -3 is not in the range x>=1"),
])
def test_serve_refuses_bad_workers_and_keep_evaluations(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["serve", str(POLICIES), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_serve_help_documents_workers_and_keep_evaluations() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "--workers INTEGER RANGE Worker processes that evaluate uploads" in text
    assert "[default: 2; 1<=x<=64]" in text
    assert "--keep-evaluations INTEGER RANGE Evaluations each worker keeps computed" in text
    assert "[default: 2; x>=1]" in text


def test_serve_runs_with_the_workers_and_evaluations_kept_asked_for(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "KPI_RULES_TOKENS"}
    proc = subprocess.Popen([*KPI, "serve", str(POLICIES), "--port", str(port), "--db",
                             f"sqlite:///{tmp_path / 'db.sqlite'}", "--workers", "3", "--keep-evaluations", "5"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_ready(port, proc)
        base = f"http://127.0.0.1:{port}"
        status = httpx.get(f"{base}/v1/status").json()["service"]
        assert (status["workers"], status["keep_evaluations"]) == (3, 5)
        data = (POLICIES.parent / "examples" / "ops-2024.csv").read_bytes()
        created = httpx.post(f"{base}/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"},
                             content=data, headers={"Content-Type": "text/csv"}, timeout=60)
        assert created.status_code == 201, created.text
        eid = created.json()["evaluation_id"]
        explained = httpx.get(f"{base}/v1/evaluations/{eid}/employees/E001/explain", timeout=60)
        assert explained.status_code == 200
        cli = CliRunner().invoke(main, ["explain", str(POLICIES / "ops-department.yaml"), "--data",
                                        str(POLICIES.parent / "examples" / "ops-2024.csv"), "--period", "2024-Q2",
                                        "--employee", "E001"])
        assert explained.text == cli.output
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert "Application shutdown complete" in err.decode()
