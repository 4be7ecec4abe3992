"""The /v1 routes: every one on a router whose dependency is `access.authorize`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI

from kpi_rules.serve.access import authorize, check_routes
from kpi_rules.serve.audit_hook import AuditMiddleware
from kpi_rules.serve.service import Service

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {"description": "no, unknown or revoked token"},
                                                 403: {"description": "not for this role"}}


def v1_router() -> APIRouter:
    return APIRouter(prefix="/v1", dependencies=[Depends(authorize)], responses=dict(UNAUTHORIZED))


def install_routes(app: FastAPI, service: Service) -> None:
    from kpi_rules.serve.routes import (
        audit_routes,
        calibration_routes,
        diff_routes,
        evaluation_routes,
        policy_routes,
        report_routes,
    )

    for module in (policy_routes, evaluation_routes, report_routes, calibration_routes, diff_routes, audit_routes):
        app.include_router(module.router)
    check_routes(app.routes)
    app.add_middleware(AuditMiddleware)
