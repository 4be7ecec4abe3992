"""Operations endpoints and errors as problem+json, through the in-process client."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from serve_helpers import client, settings

from kpi_rules.serve.access import authorize, check_routes
from kpi_rules.serve.storage.migrate import LATEST

PROBLEM = "application/problem+json"


def test_health_ready_and_status(tmp_path: Path) -> None:
    c = client(settings(tmp_path, f"sqlite:///{tmp_path / 's.db'}"))
    assert c.get("/healthz").json() == {"status": "ok"}
    assert c.get("/readyz").status_code == 200
    status = c.get("/v1/status").json()
    assert {p["id"] for p in status["policies"]} == {"ops-department", "customer-support"}
    assert status["database"] == {"kind": "sqlite", "schema_version": LATEST, "latest_schema_version": LATEST}
    assert status["failed"] == []
    assert {p["file"] for p in status["policies"]} == {"ops-department.yaml", "customer-support.yaml"}
    assert all(len(p["sha256"]) == 64 and "commit" in p for p in status["policies"])
    assert status["service"]["workers"] == 2 and status["service"]["started_at"].endswith("Z")
    assert status["audit"]["entries"] == 0
    c.get("/v1/audit")
    assert c.get("/v1/status").json()["audit"]["entries"] == 1


def test_framework_errors_are_problems(tmp_path: Path) -> None:
    c = client(settings(tmp_path, f"sqlite:///{tmp_path / 's.db'}"))
    for response, status in [(c.get("/nope"), 404), (c.post("/healthz"), 405),
                             (c.get("/v1/audit?limit=abc"), 422)]:
        assert response.status_code == status
        assert response.headers["content-type"] == PROBLEM
        body = response.json()
        assert body["status"] == status and body["title"] and body["detail"] and body["type"]


def test_an_unexpected_error_carries_no_traceback(tmp_path: Path) -> None:
    app = client(settings(tmp_path, f"sqlite:///{tmp_path / 's.db'}")).app
    assert isinstance(app, FastAPI)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    response = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert "secret" not in response.text and "Traceback" not in response.text and "File " not in response.text


def test_docs_are_served_without_network(tmp_path: Path) -> None:
    c = client(settings(tmp_path, f"sqlite:///{tmp_path / 's.db'}"))
    page = c.get("/docs")
    assert page.status_code == 200
    assert not re.search(r"https?://", page.text), "the docs page must not load anything from the network"
    for asset in re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', page.text):
        assert c.get(asset).status_code == 200
    assert c.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert c.get("/openapi.json").json()["openapi"].startswith("3.1")


def test_a_v1_route_without_the_access_dependency_is_refused() -> None:
    app = FastAPI()
    bare = APIRouter(prefix="/v1")

    @bare.get("/status")
    def status() -> None: ...

    app.include_router(bare)
    try:
        check_routes(app.routes)
    except RuntimeError as exc:
        assert "no access rule" in str(exc)
    else:
        raise AssertionError("an unguarded /v1 route was accepted")
    guarded = FastAPI()
    router = APIRouter(prefix="/v1", dependencies=[Depends(authorize)])

    @router.get("/unnamed")
    def unnamed() -> None: ...

    guarded.include_router(router)
    try:
        check_routes(guarded.routes)
    except RuntimeError:
        pass
    else:
        raise AssertionError("a /v1 route without an action was accepted")


def test_every_v1_route_of_the_app_is_checked(tmp_path: Path) -> None:
    from kpi_rules.serve.access import ACTIONS, _api_routes

    app = client(settings(tmp_path, f"sqlite:///{tmp_path / 's.db'}")).app
    names = {route.name for path, route in _api_routes(app.routes) if path.startswith("/v1")}
    assert {"status", "list_policies", "list_audit", "verify_audit"} <= names
    assert names <= set(ACTIONS)
