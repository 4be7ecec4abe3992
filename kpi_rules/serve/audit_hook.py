"""The response hook that appends a /v1 request's audit entry before its response starts, so that
no route can forget it and no answer leaves without its entry (SERVICE.md section 5)."""

from __future__ import annotations

import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kpi_rules.serve.access import AUDITED, Audited
from kpi_rules.serve.audit import Event
from kpi_rules.serve.identity import Identity

log = logging.getLogger("kpi_rules.serve.audit")


def event_of(state: dict[str, Any], status: int) -> Event | None:
    """The audit event of a finished /v1 request, or None when it is not audited."""
    action = state.get("action")
    if state.get("audit_written"):  # appended already, in the transaction that did the work
        return None
    if action is None or (action not in AUDITED and status not in (401, 403)):
        return None
    caller: Identity | None = state.get("caller")
    audited: Audited = state["audit"]
    return Event(actor=caller.name if caller else "anonymous", role=caller.role if caller else None,
                 action=action, target=audited.target, status=status, policy=audited.policy,
                 data_sha256=audited.data_sha256, result_sha256=audited.result_sha256)


class AuditMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1"):
            await self.app(scope, receive, send)
            return
        service = scope["app"].state.service
        scope.setdefault("state", {})

        async def send_audited(message: Message) -> None:
            if message["type"] == "http.response.start":
                event = event_of(scope.get("state", {}), int(message["status"]))
                if event is not None:
                    await service.audit_async(event)
            await send(message)

        await self.app(scope, receive, send_audited)
