"""Run a period, the evaluations, one evaluation with its employee table, downloads, one employee."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kpi_rules.policy.model import Policy
from kpi_rules.serve.web import index
from kpi_rules.serve.web.common import WebError, check_csrf, from_api, language, need, page, service_of, session_of
from kpi_rules.serve.web.internal import call
from kpi_rules.serve.web.run_options import options_of, with_hint
from kpi_rules.serve.web.tables import chart, periods_in, table_view

router = APIRouter(include_in_schema=False)
TYPES = {".csv": "text/csv", ".json": "application/json", ".jsonl": "application/x-ndjson",
         ".ndjson": "application/x-ndjson",
         ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
DOWNLOADS = {"json": "application/json", "csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8",
             "md": "text/markdown; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
TREND_LIMIT = 12
ERRORS_SHOWN = 200  # rows not rated listed with their reasons (the table filters the rest by status)
# Every role's downloads: the results JSON and the report route's formats, each filtered by the
# routes to what the caller may see (a manager's teams, an employee's own review).
FORMATS = ["json", "csv", "xlsx", "html", "md"]


async def _file(request: Request, data: UploadFile) -> tuple[bytes, str, str]:
    name = PurePath(data.filename or "upload").name
    kind = TYPES.get(PurePath(name).suffix.lower())
    if kind is None:
        raise WebError(415, "the data file must be CSV, XLSX, JSON or JSON lines (.csv, .xlsx, .json, .jsonl)")
    limit = service_of(request).settings.max_upload
    raw = await data.read(limit + 1)
    if len(raw) > limit:
        raise WebError(413, f"the data file is larger than this server accepts ({limit:,} bytes)")
    return raw, name, kind


@router.get("/run")
async def run_form(request: Request) -> HTMLResponse:
    session = await session_of(request)
    need(session, "evaluate")
    listed = await call(request, session.caller, "GET", "/v1/policies")
    return page(request, session, "run.html.j2", policies=listed.json()["items"], csrf=session.csrf)


Option = Annotated[str, Form(max_length=64)]
Columns = Annotated[str, Form(max_length=20_000)]


@router.post("/run/periods")
async def run_periods(request: Request, data: UploadFile | None = None,
                      csrf: Annotated[str, Form(max_length=200)] = "", header_row: Option = "1", sheet: Option = "",
                      encoding: Option = "", columns: Columns = "") -> Response:
    """The periods a data file holds, read with the form's More options: the choices of the run form."""
    session = await session_of(request)
    check_csrf(session, csrf)
    need(session, "evaluate")
    if data is None:
        raise WebError(422, "choose a data file")
    try:
        raw, name, _ = await _file(request, data)
    except WebError as exc:  # the file was looked at: what is wrong with it is the answer
        return JSONResponse({"periods": [], "problem": f"{PurePath(data.filename or 'upload').name}: {exc.message}"})
    try:
        options = options_of(header_row, sheet, encoding, columns)
        found = await run_in_threadpool(periods_in, raw, name, options)
    except ValueError as exc:  # the file was read: this is what it holds
        return JSONResponse({"periods": [], "problem": with_hint(language(request), str(exc))})
    return JSONResponse({"periods": found})


@router.post("/run")
async def run(request: Request, data: UploadFile | None = None, policy: Annotated[str, Form(max_length=128)] = "",
              period: Annotated[str, Form(max_length=64)] = "", csrf: Annotated[str, Form(max_length=200)] = "",
              header_row: Option = "1", sheet: Option = "", encoding: Option = "", columns: Columns = ""
              ) -> Response:
    session = await session_of(request)
    check_csrf(session, csrf)
    need(session, "evaluate")
    if data is None or not policy:
        raise WebError(422, "choose a policy and a data file")
    try:
        options = options_of(header_row, sheet, encoding, columns)
    except ValueError as exc:
        raise WebError(422, with_hint(language(request), str(exc))) from exc
    raw, name, kind = await _file(request, data)
    query = {"period": period} if period else {}
    answer = await call(request, session.caller, "POST", f"/v1/policies/{policy}/evaluations",
                        query={**query, **options.query()}, body=raw, content_type=kind,
                        headers={"content-disposition": f"attachment; filename=\"{name}\""})
    try:
        from_api(answer)
    except WebError as exc:  # the data file as read: say where on the form to fix it, if there
        raise WebError(exc.status, with_hint(language(request), exc.message) if exc.status == 422 else exc.message
                       ) from exc
    return RedirectResponse(f"/evaluations/{answer.json()['evaluation_id']}", status_code=303)


@router.get("/evaluations")
async def evaluations(request: Request) -> HTMLResponse:
    session = await session_of(request)
    answer = await call(request, session.caller, "GET", "/v1/evaluations")
    from_api(answer)
    return page(request, session, "evaluations.html.j2", items=answer.json()["items"])


@router.get("/evaluations/{eid}")
async def evaluation(request: Request, eid: str) -> HTMLResponse:
    session = await session_of(request)
    found = await index.evaluation(request, session, eid)
    view = await run_in_threadpool(table_view, found.table, dict(request.query_params))
    return page(request, session, "evaluation.html.j2", locale=found.header["policy"].get("locale"),
                eid=eid, doc=found.header, view=view,
                chart=chart(found.header["summary"].get("grades", {}), found.finals),
                errors=found.unrated[:ERRORS_SHOWN], errors_total=len(found.unrated), formats=FORMATS)


@router.get("/evaluations/{eid}/download/{fmt}")
async def download(request: Request, eid: str, fmt: str) -> Response:
    session = await session_of(request)
    if fmt not in DOWNLOADS:
        raise WebError(404)
    if fmt == "json":
        answer = await call(request, session.caller, "GET", f"/v1/evaluations/{eid}")
    else:
        answer = await call(request, session.caller, "GET", f"/v1/evaluations/{eid}/report", query={"format": fmt})
    from_api(answer)
    return Response(answer.body, media_type=DOWNLOADS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="evaluation-{eid}.{fmt}"'})


@router.get("/evaluations/{eid}/employees/{employee_id}")
async def employee(request: Request, eid: str, employee_id: str) -> HTMLResponse:
    session = await session_of(request)
    answer = await call(request, session.caller, "GET", f"/v1/evaluations/{eid}/employees/{employee_id}")
    from_api(answer)
    row = answer.json()
    meta = await call(request, session.caller, "GET", "/v1/evaluations")
    current = next((i for i in meta.json()["items"] if i["evaluation_id"] == eid), None)
    served = service_of(request).policies.get(current["policy"]["id"]) if current else None
    locale = served.policy.locale if served else None
    explained = await call(request, session.caller, "GET", f"/v1/evaluations/{eid}/employees/{employee_id}/explain",
                           query={"format": "text", "lang": language(request, locale)})  # in the page's language
    from_api(explained)
    trend = []
    for item in _one_per_period(meta.json()["items"], current)[:TREND_LIMIT]:
        other = item["evaluation_id"]
        found = row if other == eid else None
        if found is None:
            got = await call(request, session.caller, "GET", f"/v1/evaluations/{other}/employees/{employee_id}")
            found = orjson.loads(got.body) if got.ok else None
        if found is not None:
            trend.append({"evaluation_id": other, "period": item["period"], "policy": item["policy"]["id"],
                          "created_at": item["created_at"], "final": found.get("final"),
                          "grade": found.get("grade"), "status": found.get("status")})
    return page(request, session, "employee.html.j2", locale=locale, eid=eid, row=row,
                labels=_labels(served.policy if served else None), explanation=explained.body.decode(),
                trend=sorted(trend, key=lambda t: (t["period"] or "", t["evaluation_id"])), current=current)


def _one_per_period(items: list[dict[str, Any]], current: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The evaluations of a trend, one per policy and period: the one being read, else the newest
    (a period evaluated again replaces its earlier run, as it would in the review)."""
    chosen: dict[tuple[str, str | None], dict[str, Any]] = {}
    for item in items:  # newest first
        chosen.setdefault((item["policy"]["id"], item["period"]), item)
    if current is not None:
        chosen[(current["policy"]["id"], current["period"])] = current
    return list(chosen.values())


def _labels(policy: Policy | None) -> dict[str, dict[str, str]]:
    """The policy's own words for the ids an employee's row holds (indicators, role, bonuses,
    deductions, vetoes); an id the policy no longer has is shown as it is."""
    if policy is None:
        return {"indicator": {}, "role": {}, "item": {}}
    items = {a.id: a.label for a in (*policy.bonuses, *policy.deductions) if a.label}
    items.update({v.id: v.label for v in policy.vetoes if v.label})
    return {"indicator": {i.id: i.label for i in policy.indicators if i.label},
            "role": {r.id: r.label for r in policy.roles.values() if r.label}, "item": items}
