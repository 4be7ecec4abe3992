"""/v1/status, /v1/audit, /v1/audit/verify."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from starlette.concurrency import run_in_threadpool

from kpi_rules.common.version import __version__
from kpi_rules.serve import audit
from kpi_rules.serve.routes import v1_router
from kpi_rules.serve.service import Service
from kpi_rules.serve.storage.audit_query import MAX_SEQ
from kpi_rules.serve.storage.migrate import LATEST, schema_version

router = v1_router()
MAX_LIMIT = 1000


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


@router.get("/status", tags=["operations"])
def status(request: Request) -> dict[str, Any]:
    """Policies in service (id, file, sha256, commit), files that failed to load with their problems,
    the database (kind, schema version now and this program's newest), the service's own settings
    and the audit log's length."""
    service = _service(request)
    settings = service.settings
    return {
        "policies": [{"id": s.id, "file": s.name, "sha256": s.policy.sha256, "version": s.policy.version,
                      "commit": s.commit, "dirty": s.dirty} for s in service.policies.all()],
        "failed": service.policies.failed,
        "database": {"kind": service.db_kind, "schema_version": schema_version(service.engine),
                     "latest_schema_version": LATEST},
        "open_access": settings.open_access,
        "service": {"version": __version__, "started_at": service.started_at, "workers": settings.workers,
                    "keep_evaluations": settings.keep_evaluations, "max_upload": settings.max_upload,
                    "max_rows": settings.max_rows, "reload_seconds": settings.reload_seconds},
        "audit": {"entries": audit.last_seq(service.engine)},
    }


@router.get("/audit", tags=["audit"])
async def list_audit(request: Request, after: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
                     limit: Annotated[int, Query(ge=1)] = 100) -> dict[str, Any]:
    """Audit entries with seq > after, oldest first (limit at most 1000)."""
    items = await run_in_threadpool(audit.entries, _service(request).engine, after, min(limit, MAX_LIMIT))
    return {"items": items}


@router.get("/audit/verify", tags=["audit"])
async def verify_audit(request: Request) -> dict[str, Any]:
    """Check the whole chain: `first_bad` names the first entry that fails."""
    verdict = await run_in_threadpool(audit.verify, _service(request).engine)
    return verdict.as_dict()
