"""JSON access logs: one line per request on the `kpi_rules.serve.access` logger (standard error
under `kpi-rules serve`): time, method, route template, status, duration and the caller's name.
Never a token, a query string or a path: `/v1/evaluations/{eid}/employees/{employee_id}` is logged
as that template, since an employee id in a path is personal data."""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import datetime, timezone
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kpi_rules.serve.metrics import route_template

log = logging.getLogger("kpi_rules.serve.access")


def access_line(scope: Scope, status: int, seconds: float) -> str:
    caller: Any = scope.get("state", {}).get("caller")
    return json.dumps({
        "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "method": scope.get("method"), "route": route_template(scope), "status": status,
        "duration_ms": round(seconds * 1000, 2), "actor": getattr(caller, "name", None)}, ensure_ascii=False)


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            if log.isEnabledFor(logging.INFO):
                log.info(access_line(scope, status, time.perf_counter() - started))


def log_to_stderr() -> None:
    """What `kpi-rules serve` calls: the access lines, alone, on standard error."""
    if not any(getattr(h, "kpi_rules_access", False) for h in log.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.kpi_rules_access = True  # type: ignore[attr-defined]
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
