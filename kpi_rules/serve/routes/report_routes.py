"""/v1/evaluations/{eid}/report: the review report as `kpi-rules evaluate --format md|html|csv`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response
from starlette.concurrency import run_in_threadpool

from kpi_rules.serve.identity import Identity
from kpi_rules.serve.problems import ProblemError
from kpi_rules.serve.routes import v1_router
from kpi_rules.serve.routes.evaluation_routes import stored_job, visible
from kpi_rules.serve.service import Service
from kpi_rules.serve.storage import evaluations as store
from kpi_rules.serve.visibility import view_of
from kpi_rules.serve.worker import Failure, report_job, sha256

router = v1_router()
MEDIA = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8"}


@router.get("/evaluations/{eid}/report", tags=["evaluations"], response_class=Response,
            responses={200: {"content": {m.split(";")[0]: {} for m in MEDIA.values()}},
                       501: {"description": "not available yet for this format or role"}})
async def get_report(request: Request, eid: str,
                     format: Annotated[str, Query(pattern="^(html|md|csv|xlsx)$")] = "html",
                     employee_id: str | None = None) -> Response:
    """The review report, filtered to what the caller may see; `employee_id=` for one review sheet."""
    service: Service = request.app.state.service
    caller: Identity = request.state.caller
    stored = await run_in_threadpool(visible, request, eid)
    view = view_of(caller)
    scope = store.scope_filter(view.teams, view.employee_id)
    if employee_id is not None and not await run_in_threadpool(store.rows, service.engine, eid, scope, employee_id):
        raise ProblemError(404, f"no employee {employee_id} in evaluation {eid}")
    if format == "xlsx":
        raise ProblemError(501, "the XLSX report is not available from the service yet; use format=csv")
    positions = None
    if not view.everything:
        if format != "csv" or employee_id is not None:
            # A manager's or employee's Markdown/HTML report must be rendered from their rows alone
            # (no team averages on an employee's sheet); until it is, they get the CSV only.
            raise ProblemError(501, f"the {format} report is not available to the role {caller.role} yet; "
                               "use format=csv")
        positions = await run_in_threadpool(store.positions, service.engine, eid, scope)
    job = await run_in_threadpool(stored_job, service.engine, stored)
    text = await service.run_cpu(report_job, job, format, employee_id, positions)
    if isinstance(text, Failure):
        raise ProblemError(text.status, text.detail, problems=text.problems)
    body = text.encode("utf-8")
    request.state.audit.result_sha256 = sha256(body)
    return Response(body, media_type=MEDIA[format])
