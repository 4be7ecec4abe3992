"""The /v1 routes: every one on a router whose dependency is `access.authorize`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI

from kpi_rules.serve.access import authorize, check_routes
from kpi_rules.serve.audit_hook import AuditMiddleware
from kpi_rules.serve.problems import PROBLEM_RESPONSES
from kpi_rules.serve.service import Service


def v1_router() -> APIRouter:
    """Every /v1 route may answer any problem document (401 and 403 first of all): the OpenAPI
    document says so, with the problem+json schema."""
    return APIRouter(prefix="/v1", dependencies=[Depends(authorize)], responses=dict(PROBLEM_RESPONSES))


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
