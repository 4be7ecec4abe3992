"""/v1/policies/{id}/evaluations and /v1/evaluations."""

from __future__ import annotations

from kpi_rules.serve.routes import v1_router

router = v1_router()
