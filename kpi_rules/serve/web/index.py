"""An evaluation as its page needs it: the results' header as the caller may see it, and the table
index of the rows they may see (storage/table_index.py), kept per process for the few evaluation
versions last opened, per caller's view.

hr and service see everything: the page reads the index stored with the evaluation (made at upload;
an evaluation stored before schema 5 gets it on its first view) and appends the audit entry that
GET /v1/evaluations/{eid} would (the stored results' hash), without decoding 100k rows. A manager or
an employee reads their rows through that route (its access rule, visibility filter and audit entry),
whose body is as small as what they may see. A later view of the same version by the same view
checks that it still exists and appends the same audit entry the route would."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from kpi_rules.serve.audit import Event
from kpi_rules.serve.storage import evaluations as store
from kpi_rules.serve.storage import table_index
from kpi_rules.serve.visibility import View, view_of
from kpi_rules.serve.web.common import WebError, from_api, need, service_of
from kpi_rules.serve.web.internal import call
from kpi_rules.serve.web.sessions import Session
from kpi_rules.serve.web.tables import Table
from kpi_rules.serve.worker import sha256

KEEP = 4  # evaluation versions kept per process


@dataclass(frozen=True)
class Indexed:
    header: dict[str, Any]
    table: Table  # the table fields of each row, in the results' order, with filter choices and sort orders
    unrated: list[dict[str, Any]]  # the rows not rated, with their line and reasons
    finals: dict[str, float]  # the mean final score of each grade (to order the chart)
    result_sha256: str  # the hash of the results as GET /v1/evaluations/{eid} gives them to this view


_cache: OrderedDict[tuple[str, int, View], Indexed] = OrderedDict()
_lock = threading.Lock()


def _indexed(index: dict[str, Any], result_sha256: str) -> Indexed:
    return Indexed(index["header"], Table(index), index["unrated"], index["finals"], result_sha256)


def _from_body(body: bytes) -> Indexed:
    """The index of the results the route gave this caller."""
    doc = orjson.loads(body)
    employees = doc.pop("employees")
    return _indexed(table_index.index_of(doc, employees), sha256(body))


def _from_store(engine: Engine, stored: store.Stored) -> Indexed | None:
    blob = table_index.ensure(engine, stored.id, stored.version)
    return _indexed(table_index.decode(blob), stored.results_sha256) if blob is not None else None


async def evaluation(request: Request, session: Session, eid: str) -> Indexed:
    """The evaluation as this caller may see it, read and audited as GET /v1/evaluations/{eid} is."""
    service, caller = service_of(request), session.caller
    need(session, "results")
    view = view_of(caller)
    stored = await run_in_threadpool(store.get, service.engine, eid)
    key = (eid, stored.version if stored else 0, view)
    with _lock:
        if stored is None:  # erased: nothing of it stays in this process's memory
            for old in [k for k in _cache if k[0] == eid]:
                del _cache[old]
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
    if found is None and stored is not None and view.everything:
        found = await run_in_threadpool(_from_store, service.engine, stored)
    if found is None or stored is None:  # not there (the route says so, and audits it), or a scoped view
        answer = await call(request, caller, "GET", f"/v1/evaluations/{eid}")
        from_api(answer)
        if stored is None:
            raise WebError(404)
        found = await run_in_threadpool(_from_body, answer.body)
    else:
        await run_in_threadpool(service.audit, Event(caller.name, caller.role, "results", f"/v1/evaluations/{eid}",
                                                     200, stored.policy, stored.data_sha256, found.result_sha256))
    with _lock:
        _cache[key] = found
        while len(_cache) > KEEP:
            _cache.popitem(last=False)
    return found

