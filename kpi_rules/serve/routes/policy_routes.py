"""/v1/policies and /v1/validate: every role may read the rules that score people."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from kpi_rules.serve.routes import v1_router
from kpi_rules.serve.service import Service

router = v1_router()


@router.get("/policies", tags=["policies"])
def list_policies(request: Request) -> dict[str, Any]:
    """The policies in service."""
    service: Service = request.app.state.service
    return {"items": [s.summary() for s in service.policies.all()]}
