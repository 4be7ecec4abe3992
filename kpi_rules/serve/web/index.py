"""An evaluation as its page needs it, kept per process for the few evaluations last opened: the
results' header and each row's few table fields, exactly as GET /v1/evaluations/{eid} gave them to
this caller's view. The first view of an evaluation reads it through that route (its access rule,
its visibility filter, its audit entry); a later view of the same evaluation by the same view checks
that it still exists and appends the same audit entry the route would, without decoding 100k rows
again. Evaluations never change; an erased one is dropped on its next view."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from kpi_rules.serve.audit import Event
from kpi_rules.serve.storage import evaluations as store
from kpi_rules.serve.visibility import View, view_of
from kpi_rules.serve.web.common import WebError, from_api, service_of
from kpi_rules.serve.web.internal import call
from kpi_rules.serve.web.sessions import Session
from kpi_rules.serve.web.tables import FILTERS, Table
from kpi_rules.serve.worker import sha256

KEEP = 4  # evaluations kept per process
FIELDS = ("employee_id", "name", "team", "role", "grade", "final", "status")


@dataclass(frozen=True)
class Indexed:
    header: dict[str, Any]
    table: Table  # FIELDS of each row, in the results' order, with its filter choices and sort orders
    unrated: list[dict[str, Any]]  # the rows not rated, with their line and reasons
    finals: dict[str, float]  # the mean final score of each grade (to order the chart)
    audit: tuple[dict[str, Any], str, str]  # policy, data_sha256, result_sha256 as the route audits them


_cache: OrderedDict[tuple[str, View], Indexed] = OrderedDict()
_lock = threading.Lock()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _index(body: bytes, stored: store.Stored | None) -> Indexed:
    doc = orjson.loads(body)
    employees = doc.pop("employees")
    rows = [{f: _text(e.get(f)) if f in FILTERS else e.get(f) for f in FIELDS} for e in employees]
    unrated = [{"employee_id": e.get("employee_id"), "status": e.get("status"), "line": e.get("line"),
                "reasons": e.get("reasons") or []} for e in employees if e.get("status") != "rated"]
    sums: dict[str, list[float]] = {}
    for e in rows:
        if e["status"] == "rated" and isinstance(e["final"], (int, float)):
            sums.setdefault(str(e["grade"]), []).append(float(e["final"]))
    finals = {g: sum(v) / len(v) for g, v in sums.items()}
    policy = stored.policy if stored else {}
    return Indexed(doc, Table(rows), unrated, finals, (policy, stored.data_sha256 if stored else "", sha256(body)))


async def evaluation(request: Request, session: Session, eid: str) -> Indexed:
    """The evaluation as this caller may see it, read and audited as GET /v1/evaluations/{eid} is."""
    service = service_of(request)
    key = (eid, view_of(session.caller))
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
    if found is not None:
        if await run_in_threadpool(store.get, service.engine, eid) is None:
            with _lock:
                _cache.pop(key, None)
            found = None
        else:
            policy, data_sha, result_sha = found.audit
            caller = session.caller
            await run_in_threadpool(service.audit, Event(caller.name, caller.role, "results",
                                                         f"/v1/evaluations/{eid}", 200, policy, data_sha,
                                                         result_sha))
            return found
    answer = await call(request, session.caller, "GET", f"/v1/evaluations/{eid}")
    from_api(answer)
    stored = await run_in_threadpool(store.get, service.engine, eid)
    if stored is None:
        raise WebError(404)
    indexed = await run_in_threadpool(_index, answer.body, stored)
    with _lock:
        _cache[key] = indexed
        while len(_cache) > KEEP:
            _cache.popitem(last=False)
    return indexed
