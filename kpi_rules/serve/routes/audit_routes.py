"""/v1/status, /v1/audit, /v1/audit/verify."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from starlette.concurrency import run_in_threadpool

from kpi_rules.serve import audit
from kpi_rules.serve.routes import v1_router
from kpi_rules.serve.service import Service

router = v1_router()
MAX_LIMIT = 1000


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


@router.get("/status", tags=["operations"])
def status(request: Request) -> dict[str, Any]:
    """Policies in service, files that failed to load with their problems, the database."""
    service = _service(request)
    return {
        "policies": [{"id": s.id, "file": s.name, "sha256": s.policy.sha256, "version": s.policy.version,
                      "commit": s.commit, "dirty": s.dirty} for s in service.policies.all()],
        "failed": service.policies.failed,
        "database": {"kind": service.db_kind, "schema_version": service.schema_version},
        "open_access": service.settings.open_access,
    }


@router.get("/audit", tags=["audit"])
async def list_audit(request: Request, after: Annotated[int, Query(ge=0)] = 0,
                     limit: Annotated[int, Query(ge=1)] = 100) -> dict[str, Any]:
    """Audit entries with seq > after, oldest first (limit at most 1000)."""
    items = await run_in_threadpool(audit.entries, _service(request).engine, after, min(limit, MAX_LIMIT))
    return {"items": items}


@router.get("/audit/verify", tags=["audit"])
async def verify_audit(request: Request) -> dict[str, Any]:
    """Check the whole chain: `first_bad` names the first entry that fails."""
    verdict = await run_in_threadpool(audit.verify, _service(request).engine)
    return verdict.as_dict()
