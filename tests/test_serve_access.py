"""401 / 403 exactly as SERVICE.md section 2, through the in-process client."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from serve_helpers import bearer, client, settings, tokens_for

from kpi_rules.serve.identity import TokenStore, add_token, revoke_token, token_digest

PROBLEM = "application/problem+json"
Setup = tuple[TestClient, dict[str, str], Path]


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    tokens = tmp_path / "tokens.yaml"
    made = tokens_for(tokens)
    return client(settings(tmp_path, f"sqlite:///{tmp_path / 's.db'}", tokens)), made, tokens


# (method, path, roles allowed): routes every role may use, and those only some may.
ROUTES = [
    ("GET", "/v1/status", {"hr", "svc", "mgr", "emp"}),
    ("GET", "/v1/policies", {"hr", "svc", "mgr", "emp"}),
    ("GET", "/v1/audit", {"hr"}),
    ("GET", "/v1/audit/verify", {"hr"}),
]


@pytest.mark.parametrize(("method", "path", "allowed"), ROUTES)
def test_each_role_on_each_route(setup: Setup, method: str, path: str,
                                 allowed: set[str]) -> None:
    c, made, _ = setup
    for name, secret in made.items():
        response = c.request(method, path, headers=bearer(secret))
        if name in allowed:
            assert response.status_code == 200, (name, response.text)
        else:
            assert response.status_code == 403, (name, response.text)
            assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Basic aHI6aHI=", "bearer  ", "Token abc"])
@pytest.mark.parametrize(("method", "path", "allowed"), ROUTES)
def test_no_or_unknown_token_is_401(setup: Setup, header: str | None, method: str,
                                    path: str, allowed: set[str]) -> None:
    c, _, _ = setup
    response = c.request(method, path, headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_revoked_token_fails_from_the_next_request(setup: Setup) -> None:
    c, made, tokens = setup
    assert c.get("/v1/status", headers=bearer(made["svc"])).status_code == 200
    assert revoke_token(tokens, "svc")
    assert c.get("/v1/status", headers=bearer(made["svc"])).status_code == 401
    assert c.get("/v1/status", headers=bearer(made["hr"])).status_code == 200
    fresh = add_token(tokens, "svc2", "service", (), None)
    assert c.get("/v1/status", headers=bearer(fresh)).status_code == 200


def test_refused_requests_are_audited_without_the_token(setup: Setup) -> None:
    c, made, _ = setup
    c.get("/v1/status", headers=bearer("forged-token"))
    c.get("/v1/audit", headers=bearer(made["mgr"]))
    c.get("/v1/status", headers=bearer(made["mgr"]))  # allowed, not audited
    items = c.get("/v1/audit", headers=bearer(made["hr"])).json()["items"]
    assert [(e["actor"], e["role"], e["action"], e["status"]) for e in items] == [
        ("anonymous", None, "status", 401), ("mgr", "manager", "audit", 403)]
    text = str(items)
    assert "forged-token" not in text and all(secret not in text for secret in made.values())


def test_store_compares_digests_and_rereads_a_changed_file(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    secret = add_token(path, "a", "hr", (), None)
    store = TokenStore(path)
    found = store.lookup(secret)
    assert found is not None and found.name == "a" and found.role == "hr"
    assert store.lookup(token_digest(secret)) is None  # the digest is not a token
    path.write_text("- {name: broken")
    assert store.lookup(secret) is None and store.error


def test_a_broken_tokens_file_is_logged_once_and_its_repair_too(tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "t.yaml"
    secret = add_token(path, "a", "hr", (), None)
    good = path.read_text()
    store = TokenStore(path)
    path.write_text("- {name: broken")
    with caplog.at_level("WARNING", logger="kpi_rules.serve"):
        assert store.lookup(secret) is None and store.lookup(secret) is None
        errors = [r for r in caplog.records if r.levelname == "ERROR"]
        assert len(errors) == 1 and "every caller is refused" in errors[0].getMessage()
        assert secret not in caplog.text
        path.write_text(good + "\n")
        found = store.lookup(secret)
        assert found is not None and found.name == "a" and store.error is None
        assert "reads again: 1 identities" in caplog.records[-1].getMessage()
