"""/v1/policies/{id}/evaluations and /v1/evaluations: evaluate an upload, read what the caller may see."""

from __future__ import annotations

import uuid
import zlib
from datetime import datetime, timezone
from typing import Annotated, Any

import orjson
from fastapi import Query, Request, Response
from fastapi.responses import PlainTextResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from kpi_rules.data.encodings import encoding_name
from kpi_rules.serve.access import Audited
from kpi_rules.serve.audit import Event, append_in
from kpi_rules.serve.identity import Identity
from kpi_rules.serve.lru import Lru
from kpi_rules.serve.problems import ProblemError
from kpi_rules.serve.routes import v1_router
from kpi_rules.serve.routes.policy_routes import LIST_LIMIT, at_ref, served_policy
from kpi_rules.serve.routes.upload import DATA_BODY, read_upload
from kpi_rules.serve.service import Service
from kpi_rules.serve.storage import evaluations as store
from kpi_rules.serve.stored_ops import Miss, explain_op, on_stored
from kpi_rules.serve.visibility import assemble, filtered_header, view_of
from kpi_rules.serve.worker import Failure, Job, Outcome, evaluate_job, sha256

router = v1_router()
JSON = "application/json"
# Uploads evaluated in a thread of the server rather than a worker process: text formats (their size
# bounds their rows: 256 KiB is about 2,000 rows of the example data) whose evaluation takes tens of
# ms, less than a worker's round trip and queue. Larger ones and XLSX (a small zip may hold many
# rows) go to the worker processes, off the request loop.
INLINE_FORMATS = frozenset({"csv", "json", "jsonl", "yaml"})
INLINE_BYTES = 256 * 1024
EXPLAINED: Lru[tuple[str, str, str, str], list[str]] = Lru(10_000)  # explanations served last, by version, language


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _caller(request: Request) -> Identity:
    caller: Identity = request.state.caller
    return caller


def _audited(request: Request) -> Audited:
    audited: Audited = request.state.audit
    return audited


def _failed(failure: Failure) -> ProblemError:
    return ProblemError(failure.status, failure.detail, problems=failure.problems)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


@router.post("/policies/{policy_id}/evaluations", tags=["evaluations"], status_code=201, openapi_extra=DATA_BODY)
async def create_evaluation(request: Request, response: Response, policy_id: str,
                            period: str | None = None, ref: str | None = None, encoding: str | None = None,
                            sheet: str | None = None, header_row: Annotated[int, Query(ge=1)] = 1,
                            column: Annotated[list[str] | None, Query(description="NAME=HEADER")] = None
                            ) -> dict[str, Any]:
    """Evaluate an uploaded data file (CSV, XLSX, JSON, JSON lines, or multipart `data`) with a policy."""
    service = _service(request)
    served = served_policy(service, policy_id)
    if ref is not None:
        served = await run_in_threadpool(at_ref, service, served, ref)
    audited = _audited(request)
    audited.policy = served.audit_ref()
    if encoding is not None:
        try:
            encoding_name(encoding)
        except ValueError as exc:
            raise ProblemError(422, str(exc)) from exc
    columns = []
    for item in column or []:
        name, sep, header = item.partition("=")
        if not sep or not name.strip() or not header.strip():
            raise ProblemError(422, f"column={item!r}: write it as NAME=HEADER, e.g. employee_id=工号")
        columns.append((name.strip(), header.strip()))
    upload = await read_upload(request, service.settings.max_upload)
    audited.data_sha256 = sha256(upload.data)
    job = Job(served.source, str(served.path), upload.data, upload.name, upload.fmt, period, encoding, sheet,
              tuple(columns), service.settings.max_rows, header_row)
    small = upload.fmt in INLINE_FORMATS and len(upload.data) <= INLINE_BYTES
    outcome = await (service.run_inline if small else service.run_cpu)(evaluate_job, job)
    if isinstance(outcome, Failure):
        raise _failed(outcome)
    eid = uuid.uuid4().hex
    audited.target = f"/v1/evaluations/{eid}"
    audited.result_sha256 = sha256(outcome.results)
    caller = _caller(request)
    # The evaluation and its audit entry are one transaction: a crash leaves both or neither.
    event = Event(caller.name, caller.role, "evaluate", audited.target, 201, audited.policy, audited.data_sha256,
                  audited.result_sha256)
    await run_in_threadpool(_save, service.engine, eid, served.audit_ref(), str(served.path), served.source,
                            upload.name, upload.data, job, outcome, event)
    request.state.audit_written = True
    service.metrics.evaluations.inc()
    service.metrics.audit_entries.inc()
    service.metrics.rows.inc(len(outcome.meta))
    response.headers["Location"] = f"/v1/evaluations/{eid}"
    period_label = orjson.loads(outcome.header).get("period")
    return {"evaluation_id": eid, "policy": served.audit_ref(), "period": period_label, "summary": outcome.summary}


def _save(engine: Engine, eid: str, policy: dict[str, Any], policy_file: str, policy_source: bytes, name: str,
          data: bytes, job: Job, outcome: Outcome, event: Event) -> None:
    summary = outcome.summary
    values = {
        "id": eid, "policy_id": policy["id"], "policy_version": policy["version"], "policy_sha256": policy["sha256"],
        "policy_commit": policy["commit"], "period": orjson.loads(outcome.header).get("period"),
        "created_at": now(), "created_by": event.actor, "data_file": name, "data_sha256": sha256(data),
        "data_zlib": zlib.compress(data, 6), "results_zlib": outcome.results_zlib,
        "results_sha256": sha256(outcome.results), "header": outcome.header.decode(), "rows": summary["rows"],
        "rated": summary["rated"], "not_rated": summary["not_rated"], "error": summary["error"],
        "options": orjson.dumps({"format": job.fmt, "encoding": job.encoding, "sheet": job.sheet,
                                 "columns": [list(c) for c in job.columns],
                                 "header_row": job.header_row}).decode(),
        "scope_counts": zlib.compress(orjson.dumps(outcome.scope_counts), 6),
        "policy_file": policy_file, "policy_zlib": zlib.compress(policy_source, 6),
    }
    with engine.begin() as conn:
        store.save(conn, values, outcome.rows, outcome.table)
        append_in(conn, event)


def visible(request: Request, eid: str) -> store.Stored:
    """The evaluation if the caller may see any of it; else 404, exactly as if it did not exist."""
    service, view = _service(request), view_of(_caller(request))
    audited = _audited(request)
    stored = store.get(service.engine, eid)
    if stored is not None and not view.everything:
        scope = store.scope_filter(view.teams, view.employee_id)
        if not store.rows(service.engine, eid, scope)[:1]:
            stored = None
    if stored is None:
        raise ProblemError(404, f"no evaluation {eid}")
    audited.policy, audited.data_sha256 = stored.policy, stored.data_sha256
    return stored


@router.get("/evaluations", tags=["evaluations"])
def list_evaluations(request: Request, policy: str | None = None, period: str | None = None,
                     limit: Annotated[int, Query(ge=1)] = LIST_LIMIT) -> dict[str, Any]:
    """The evaluations the caller can see, newest first, with counts over their rows (`limit`: at most 1000)."""
    view = view_of(_caller(request))
    scope = store.scope_filter(view.teams, view.employee_id)
    found = store.listing(_service(request).engine, scope, policy, period)
    return {"items": [{"evaluation_id": s.id, "policy": s.policy, "period": s.period, "created_at": s.created_at,
                       "created_by": s.created_by, "counts": counts} for s, counts in found[:min(limit, LIST_LIMIT)]]}


@router.get("/evaluations/{eid}", tags=["evaluations"], response_class=Response,
            responses={200: {"content": {JSON: {"schema": {"type": "object"}}}}})
def get_evaluation(request: Request, eid: str) -> Response:
    """The results JSON (POLICY_FORMAT section 3) filtered to what the caller may see."""
    stored = visible(request, eid)
    service, view = _service(request), view_of(_caller(request))
    if view.everything:
        body = store.blob(service.engine, eid, "results_zlib") or b""
    else:
        rows = store.rows(service.engine, eid, store.scope_filter(view.teams, view.employee_id))
        counts = orjson.loads(store.blob(service.engine, eid, "scope_counts") or b"{}")
        header = filtered_header(store.header(service.engine, eid), view, rows, counts)
        body = assemble(header, [r[3] for r in rows])
    _audited(request).result_sha256 = stored.results_sha256 if view.everything else sha256(body)
    return Response(body, media_type=JSON)


@router.get("/evaluations/{eid}/employees/{employee_id}", tags=["evaluations"], response_class=Response,
            responses={200: {"content": {JSON: {"schema": {"type": "object"}}}}})
def get_employee(request: Request, eid: str, employee_id: str) -> Response:
    """One employee's result, as in the results' `employees`."""
    view = view_of(_caller(request))
    scope = store.scope_filter(view.teams, view.employee_id)
    stored, rows = store.get_with_rows(_service(request).engine, eid, scope, employee_id)
    if stored is None or not rows:
        visible(request, eid)  # 404 for the evaluation when the caller may see none of it, as every route
        raise ProblemError(404, f"no employee {employee_id} in evaluation {eid}")
    # the employee's row in the caller's scope: the evaluation is visible to them
    _audited(request).policy, _audited(request).data_sha256 = stored.policy, stored.data_sha256
    return Response(rows[0][3], media_type=JSON)


@router.get("/evaluations/{eid}/employees/{employee_id}/explain", tags=["evaluations"],
            responses={200: {"content": {"text/plain": {}, JSON: {}}}})
async def explain_employee(request: Request, eid: str, employee_id: str,
                           format: Annotated[str, Query(pattern="^(text|json)$")] = "text",
                           lang: Annotated[str | None, Query(pattern="^(en|zh-CN)$")] = None) -> Any:
    """The calculation step by step: the same text as `kpi-rules explain` (`lang`, en or zh-CN, as
    its `--lang`; default: the policy's language)."""
    service = _service(request)
    view = view_of(_caller(request))
    scope = store.scope_filter(view.teams, view.employee_id)
    found, rows = await run_in_threadpool(store.get_with_rows, service.engine, eid, scope, employee_id)
    if found is None or not rows:
        await run_in_threadpool(visible, request, eid)  # 404 for the evaluation, if the caller sees none of it
        raise ProblemError(404, f"no employee {employee_id} in evaluation {eid}")
    stored = found
    _audited(request).policy, _audited(request).data_sha256 = stored.policy, stored.data_sha256
    key = (stored.id, stored.results_sha256, employee_id, lang or "")  # a new version (calibration) is a new key
    lines = EXPLAINED.get(key)
    if lines is None:
        lines = await run_stored(service, stored, explain_op, employee_id, lang)
        if isinstance(lines, list):
            EXPLAINED.put(key, lines)
    if isinstance(lines, Failure):
        raise _failed(lines)
    text = "\n".join(lines).rstrip("\n") + "\n"
    if format == "json":
        return {"evaluation_id": eid, "employee_id": employee_id, "lines": text.rstrip("\n").split("\n")}
    return PlainTextResponse(text)


async def run_stored(service: Service, stored: store.Stored, op: Any, *args: Any) -> Any:
    """`op` on the stored evaluation in a worker: the one it holds, else evaluated again from the
    stored data, policy version and calibrations (read only then)."""
    key = f"{stored.id}:{stored.results_sha256}"
    keep = service.settings.keep_evaluations
    result = await service.run_cpu(on_stored, key, None, keep, op, *args)
    if isinstance(result, Miss):
        job = await run_in_threadpool(stored_job, service.engine, stored)
        result = await service.run_cpu(on_stored, key, job, keep, op, *args)
    return result


def stored_job(engine: Engine, stored: store.Stored) -> Job:
    """The job that reproduces a stored evaluation: its policy version, its data, as read then."""
    opts = stored.options
    return Job(store.blob(engine, stored.id, "policy_zlib") or b"", str(store.get_policy_file(engine, stored.id)),
               store.blob(engine, stored.id, "data_zlib") or b"", stored.data_file, opts.get("format"),
               stored.period, opts.get("encoding"), opts.get("sheet"),
               tuple((a, b) for a, b in opts.get("columns", [])), 2**62, int(opts.get("header_row", 1)),
               store.calibration_files(engine, stored.id))


@router.delete("/evaluations/{eid}", tags=["evaluations"], status_code=204, response_class=Response)
def delete_evaluation(request: Request, eid: str) -> Response:
    """Erase an evaluation's data and results (retention, right to erasure); its audit entries stay."""
    visible(request, eid)
    caller, audited = _caller(request), _audited(request)
    event = Event(caller.name, caller.role, "delete", audited.target, 204, audited.policy, audited.data_sha256)
    # The erasure and its audit entry are one transaction.
    if not store.erase(_service(request).engine, eid, event):
        raise ProblemError(404, f"no evaluation {eid}")
    EXPLAINED.discard(lambda key: key[0] != eid)  # nothing of it stays in this process's memory
    request.state.audit_written = True
    _service(request).metrics.audit_entries.inc()
    return Response(status_code=204)
