"""The audit log as a page (hr): a page of entries at a time, newest first, filtered on the server
by actor, action, subject, status and date, with newer/older links; and the chain's verification.
The chain is verified in full on the first view in this process and on asking, and on from the
last entry verified on later views (that entry's hash checked again), so that a view of a log of
100k entries reads one page of it."""

from __future__ import annotations

import threading
from datetime import date
from typing import Annotated
from weakref import WeakKeyDictionary

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from kpi_rules.serve import audit
from kpi_rules.serve.audit import Event, Verdict
from kpi_rules.serve.storage.audit_query import MAX_SEQ, AuditFilter, page
from kpi_rules.serve.web.common import WebError, need, service_of, session_of
from kpi_rules.serve.web.common import page as render

router = APIRouter(include_in_schema=False)
AUDIT_PAGE = 100
_verified: WeakKeyDictionary[Engine, tuple[int, str]] = WeakKeyDictionary()  # the last entry verified (seq, hash)
_lock = threading.Lock()


def _day(text: str, name: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise WebError(422, f"{name}: a date as YYYY-MM-DD") from None


def _filter(actor: str, action: str, subject: str, status: str, since: str, until: str) -> AuditFilter:
    if status and not status.isdigit():
        raise WebError(422, "status: a number such as 200 or 403")
    return AuditFilter(actor.strip(), action.strip(), subject.strip(), int(status) if status else None,
                       _day(since, "from"), _day(until, "to"))


def verify_on(engine: Engine) -> Verdict:
    """The chain verified on from the last entry this process verified (whose hash still matches);
    else in full."""
    with _lock:
        start = _verified.get(engine)
    if start is not None:
        last = audit.entries(engine, start[0] - 1, 1)
        if not last or last[0]["hash"] != start[1] or audit.entry_hash(last[0]) != start[1]:
            start = None
    verdict = audit.verify(engine, start=start or (0, audit.GENESIS))
    with _lock:
        if verdict.ok:
            _verified[engine] = (verdict.entries, verdict.last_hash)
        else:
            _verified.pop(engine, None)
    return verdict


@router.get("/audit")
async def audit_page(request: Request, actor: str = "", action: str = "", subject: str = "", status: str = "",
                     since: str = "", until: str = "",
                     before: Annotated[int | None, Query(ge=0, le=MAX_SEQ)] = None,
                     after: Annotated[int | None, Query(ge=0, le=MAX_SEQ)] = None, verify: str = "") -> HTMLResponse:
    session = await session_of(request)
    need(session, "audit")
    service, caller = service_of(request), session.caller
    chosen = _filter(actor, action, subject, status, since, until)
    if verify == "full":  # the whole chain walked again, as GET /v1/audit/verify does
        with _lock:
            _verified.pop(service.engine, None)
    verdict = await run_in_threadpool(verify_on, service.engine)
    shown = await run_in_threadpool(page, service.engine, chosen, AUDIT_PAGE, before, after)
    for target in ("/v1/audit/verify", "/v1/audit"):  # what it read, as the routes audit it
        await service.audit_async(Event(caller.name, caller.role, "audit", target, 200))
    query = {k: v for k, v in (("actor", chosen.actor), ("action", chosen.action), ("subject", chosen.subject),
                               ("status", status), ("since", since), ("until", until)) if v}
    return render(request, session, "audit.html.j2", verdict=verdict, items=shown.items, query=query,
                  older=shown.older, newer=shown.newer)
