"""/v1/evaluations/{eid}/calibrations: a calibration file (issue 16) applied to a stored evaluation
as a new, audited version of it. The results then are `kpi-rules evaluate --calibration FILE...`
with every calibration file stored for it, in order; each version's results hash is recorded, and
any earlier version can be computed again from the stored data, policy and the files before it."""

from __future__ import annotations

import dataclasses
import zlib
from typing import Any

import orjson
from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from kpi_rules.policy.calibration import CalibrationInvalid, calibration_from_bytes
from kpi_rules.serve.audit import Event, append_in
from kpi_rules.serve.identity import Identity
from kpi_rules.serve.problems import PROBLEM_RESPONSES, ProblemError
from kpi_rules.serve.routes import v1_router
from kpi_rules.serve.routes.evaluation_routes import now, stored_job, visible
from kpi_rules.serve.service import Service
from kpi_rules.serve.storage import evaluations as store
from kpi_rules.serve.uploads import POLICY_TYPES, disposition_name, media_type, read_body, safe_name
from kpi_rules.serve.worker import Failure, Outcome, evaluate_job, sha256

router = v1_router()
MAX_CALIBRATION = 4 * 1024**2
YAML_BODY = {"requestBody": {"required": True, "content": {
    "application/yaml": {"schema": {"type": "string"}}, "text/yaml": {"schema": {"type": "string"}},
    "text/plain": {"schema": {"type": "string"}}}}}


@router.post("/evaluations/{eid}/calibrations", tags=["calibrations"], status_code=201,
             openapi_extra=YAML_BODY, responses=PROBLEM_RESPONSES)
async def add_calibration(request: Request, response: Response, eid: str) -> dict[str, Any]:
    """Apply a calibration file (YAML body; its name from `Content-Disposition: attachment;
    filename=...`) to an evaluation: a new version of its results, audited."""
    service: Service = request.app.state.service
    caller: Identity = request.state.caller
    stored = await run_in_threadpool(visible, request, eid)
    kind = media_type(request)
    if kind and kind not in POLICY_TYPES:
        raise ProblemError(415, f"a calibration file is YAML (application/yaml, text/yaml or text/plain), not {kind}")
    raw = await read_body(request, min(MAX_CALIBRATION, service.settings.max_upload))
    name = safe_name(disposition_name(request.headers.get("content-disposition")) or "calibration.yaml")
    try:
        await run_in_threadpool(calibration_from_bytes, raw, name)
    except CalibrationInvalid as exc:
        raise ProblemError(422, f"{name} is not a valid calibration file",
                           problems=[{**p.to_dict(), "column": p.col} for p in exc.problems]) from exc
    job = await run_in_threadpool(stored_job, service.engine, stored)
    job = dataclasses.replace(job, calibrations=(*job.calibrations, (raw, name)))
    outcome = await service.run_cpu(evaluate_job, job)
    if isinstance(outcome, Failure):
        raise ProblemError(outcome.status, outcome.detail, problems=outcome.problems)
    audited = request.state.audit
    audited.result_sha256 = sha256(outcome.results)
    event = Event(caller.name, caller.role, "calibrate", audited.target, 201, audited.policy, audited.data_sha256,
                  audited.result_sha256)
    header = orjson.loads(outcome.header)
    summary: dict[str, Any] = next((c for c in header.get("calibrations", []) if c.get("sha256") == sha256(raw)), {})
    saved = await run_in_threadpool(_save, service, stored, raw, name, outcome, summary, event)
    if not saved:
        raise ProblemError(409, f"evaluation {eid} changed while this calibration was applied; send it again")
    request.state.audit_written = True
    service.metrics.audit_entries.inc()
    response.headers["Location"] = f"/v1/evaluations/{eid}/calibrations"
    return {"evaluation_id": eid, "version": stored.version + 1, "file": name, "sha256": sha256(raw),
            "previous_results_sha256": stored.results_sha256, "results_sha256": audited.result_sha256,
            "calibration": summary, "summary": outcome.summary}


def _save(service: Service, stored: store.Stored, raw: bytes, name: str, outcome: Outcome,
          summary: dict[str, Any], event: Event) -> bool:
    s = outcome.summary
    values = {"results_zlib": outcome.results_zlib, "results_sha256": sha256(outcome.results),
              "header": outcome.header.decode(), "rows": s["rows"], "rated": s["rated"],
              "not_rated": s["not_rated"], "error": s["error"],
              "scope_counts": zlib.compress(orjson.dumps(outcome.scope_counts), 6)}
    calibration = {"created_at": now(), "created_by": event.actor, "file": name, "sha256": sha256(raw),
                   "source_zlib": zlib.compress(raw, 6), "previous_sha256": stored.results_sha256,
                   "results_sha256": values["results_sha256"], "summary": orjson.dumps(summary).decode()}
    # The new version and its audit entry are one transaction: both or neither.
    with service.engine.begin() as conn:
        if not store.replace_results(conn, stored.id, stored.version, values, outcome.rows, calibration,
                                     outcome.table):
            return False
        append_in(conn, event)
        return True


@router.get("/evaluations/{eid}/calibrations", tags=["calibrations"], responses=PROBLEM_RESPONSES)
def list_calibrations(request: Request, eid: str) -> dict[str, Any]:
    """The calibration files applied to an evaluation, oldest first: each with its content, the
    version of the evaluation it made and the results hash before and after."""
    stored = visible(request, eid)
    service: Service = request.app.state.service
    return {"evaluation_id": eid, "version": stored.version, "items": store.calibrations(service.engine, eid)}
