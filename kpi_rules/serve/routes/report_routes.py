"""/v1/evaluations/{eid}/report: the review report as `kpi-rules evaluate --format md|html|csv|xlsx`,
rendered from the caller's rows alone (a manager's teams; an employee's own review sheet)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response
from starlette.concurrency import run_in_threadpool

from kpi_rules.serve.identity import Identity
from kpi_rules.serve.problems import PROBLEM_RESPONSES, ProblemError
from kpi_rules.serve.routes import v1_router
from kpi_rules.serve.routes.evaluation_routes import run_stored, visible
from kpi_rules.serve.service import Service
from kpi_rules.serve.storage import evaluations as store
from kpi_rules.serve.stored_ops import report_op
from kpi_rules.serve.visibility import view_of
from kpi_rules.serve.worker import Failure, sha256
from kpi_rules.writers import WRITERS

router = v1_router()
MEDIA = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8",
         "xlsx": WRITERS["xlsx"].media_type}


@router.get("/evaluations/{eid}/report", tags=["evaluations"], response_class=Response,
            responses={200: {"content": {m.split(";")[0]: {"schema": {"type": "string"}} for m in MEDIA.values()}},
                       **PROBLEM_RESPONSES})
async def get_report(request: Request, eid: str,
                     format: Annotated[str, Query(pattern="^(html|md|csv|xlsx)$")] = "html",
                     employee_id: str | None = None) -> Response:
    """The review report (or the XLSX workbook), filtered to what the caller may see; `employee_id=`
    for one review sheet. An employee's report is their own review sheet, with no team section."""
    service: Service = request.app.state.service
    caller: Identity = request.state.caller
    stored = await run_in_threadpool(visible, request, eid)
    view = view_of(caller)
    scope = store.scope_filter(view.teams, view.employee_id)
    if employee_id is not None and not await run_in_threadpool(store.rows, service.engine, eid, scope, employee_id):
        raise ProblemError(404, f"no employee {employee_id} in evaluation {eid}")
    if employee_id is not None and format in ("csv", "xlsx"):
        raise ProblemError(422, f"employee_id= selects a review sheet, which is html or md, not {format}")
    body = await run_stored(service, stored, report_op, format, view, employee_id)
    if isinstance(body, Failure):
        raise ProblemError(body.status, body.detail, problems=body.problems)
    request.state.audit.result_sha256 = sha256(body)
    headers = {}
    if format == "xlsx":
        headers["Content-Disposition"] = f'attachment; filename="{eid}.xlsx"'
    return Response(body, media_type=MEDIA[format], headers=headers)
