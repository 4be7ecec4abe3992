"""Prometheus metrics (/metrics, for an hr or service token): requests by route and status,
latency, evaluations and rows, policy reloads, audit entries. One registry per app."""

from __future__ import annotations

import time

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kpi_rules.serve.access import bearer_token, resolve
from kpi_rules.serve.problems import PROBLEM_RESPONSES, ProblemError


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("kpi_rules_http_requests", "HTTP requests by route template and status",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("kpi_rules_http_request_seconds", "Time to the response's start",
                                 ["method", "route"], registry=self.registry)
        self.evaluations = Counter("kpi_rules_evaluations", "Evaluations stored", registry=self.registry)
        self.rows = Counter("kpi_rules_evaluation_rows", "Result rows stored", registry=self.registry)
        self.reloads = Counter("kpi_rules_policy_reloads", "Policy files (re)loaded, by outcome", ["outcome"],
                               registry=self.registry)
        self.audit_entries = Counter("kpi_rules_audit_entries", "Audit entries appended", registry=self.registry)


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"  # templates, never ids: bounded label values


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                route, method = route_template(scope), scope["method"]
                self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)
                self.metrics.requests.labels(method, route, str(message["status"])).inc()
            await send(message)

        await self.app(scope, receive, send_counted)


def install_metrics(app: FastAPI, metrics: Metrics) -> None:
    app.add_middleware(MetricsMiddleware, metrics=metrics)

    @app.get("/metrics", tags=["operations"], response_class=Response,
             responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
                        401: PROBLEM_RESPONSES[401], 403: PROBLEM_RESPONSES[403]})
    def prometheus(request: Request) -> Response:
        """Prometheus text exposition; needs an hr or service token."""
        caller = resolve(request.app.state.service.tokens, bearer_token(request))
        if caller is None:
            raise ProblemError(401, "a valid bearer token is required",
                               headers={"WWW-Authenticate": 'Bearer realm="kpi-rules"'})
        if caller.role not in ("hr", "service"):
            raise ProblemError(403, f"the role {caller.role} may not read metrics")
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
