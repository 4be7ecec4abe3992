"""What-if: a copy of a policy's YAML, edited in the page, run against a stored evaluation's data by
POST /v1/diff (the code of `kpi-rules diff`); downloads of the new file and of the Markdown diff.
Nothing is written to the policy directory."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from kpi_rules.serve.access import Audited
from kpi_rules.serve.audit import Event
from kpi_rules.serve.web.common import WebError, check_csrf, from_api, need, page, service_of, session_of
from kpi_rules.serve.web.edits import apply, controls
from kpi_rules.serve.web.internal import call
from kpi_rules.serve.worker import Failure, Job, sha256

router = APIRouter(include_in_schema=False)
MAX_SOURCE = 1024 * 1024


def markdown_job(base: tuple[bytes, str], head: tuple[bytes, str], job: Job) -> str | Failure:
    """`kpi-rules diff --format md`, as the service's diff_job does the JSON (a worker process runs it)."""
    from kpi_rules.common.errors import KpiRulesError
    from kpi_rules.data.raw import DataFileError
    from kpi_rules.diff.compare import diff_policies, read_version
    from kpi_rules.diff.render import RENDERERS
    from kpi_rules.serve.worker import _raw

    versions = [read_version(raw, label) for raw, label in (base, head)]
    if not all(v.validation.ok for v in versions):
        return Failure(422, "not a valid policy")
    try:
        return RENDERERS["md"](diff_policies(versions[0], versions[1], _raw(job), job.period), 50)
    except DataFileError as exc:  # as the service says it: column=NAME=HEADER, not --column
        return Failure(422, exc.told("request"))
    except KpiRulesError as exc:
        return Failure(422, str(exc))


async def _context(request: Request, policy: str, evaluation: str) -> dict[str, Any]:
    session = await session_of(request)
    need(session, "diff")
    found = await call(request, session.caller, "GET", f"/v1/policies/{policy}") if policy else None
    listed = await call(request, session.caller, "GET", "/v1/evaluations", query={"policy": policy} if policy else {})
    policies = await call(request, session.caller, "GET", "/v1/policies")
    if found is not None:
        from_api(found)
    items = listed.json()["items"]
    return {"session": session, "policy": found.json() if found else None, "evaluations": items,
            "policies": policies.json()["items"], "evaluation": evaluation or (items[0]["evaluation_id"] if items
                                                                               else "")}


def _locale(ctx: dict[str, Any]) -> str | None:
    """The page's language by default: the chosen policy's locale."""
    return str(ctx["policy"]["locale"]) if ctx["policy"] and ctx["policy"].get("locale") else None


def _base_ref(evaluations: list[dict[str, Any]], eid: str) -> str:
    for item in evaluations:
        if item["evaluation_id"] == eid and item["policy"].get("commit"):
            return str(item["policy"]["commit"])
    return "HEAD"


@router.get("/whatif")
async def whatif_form(request: Request, policy: str = "", evaluation: str = "") -> HTMLResponse:
    ctx = await _context(request, policy, evaluation)
    source = ctx["policy"]["source"] if ctx["policy"] else ""
    return page(request, ctx.pop("session"), "whatif.html.j2", locale=_locale(ctx), source=source,
                controls=controls(source), diff=None, problems=[], **ctx)


@router.post("/whatif")
async def whatif(request: Request, policy: Annotated[str, Form(max_length=128)] = "",
                 evaluation: Annotated[str, Form(max_length=64)] = "",
                 source: Annotated[str, Form(max_length=MAX_SOURCE)] = "",
                 csrf: Annotated[str, Form(max_length=200)] = "", do: Annotated[str, Form(max_length=20)] = "compare"
                 ) -> Response:
    check_csrf(await session_of(request), csrf)  # before anything else is read or looked up
    ctx = await _context(request, policy, evaluation)
    session = ctx.pop("session")
    form = await request.form()
    changes = {str(k)[4:]: str(v) for k, v in form.items() if str(k).startswith("set:") and isinstance(v, str)}
    source = apply(source.replace("\r\n", "\n"), changes)
    if do == "yaml":
        return Response(source.encode(), media_type="application/yaml; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{policy}.yaml"'})
    base = {"ref": _base_ref(ctx["evaluations"], evaluation)}
    if do == "md":
        return await _markdown(request, session.caller, policy, evaluation, base["ref"], source)
    answer = await call(request, session.caller, "POST", "/v1/diff", content_type="application/json",
                        body=orjson.dumps({"policy": policy, "base": base, "head": {"source": source},
                                           "evaluation_id": evaluation}))
    diff: dict[str, Any] | None = None
    problems: list[dict[str, Any]] = []
    if answer.status == 422:
        problems = answer.json().get("problems") or [{"message": answer.json().get("detail", "")}]
    else:
        from_api(answer)
        diff = answer.json()
    return page(request, session, "whatif.html.j2", locale=_locale(ctx), source=source, controls=controls(source),
                diff=diff, problems=problems, csrf=session.csrf, **ctx)


async def _markdown(request: Request, caller: Any, policy: str, eid: str, ref: str, source: str) -> Response:
    """The Markdown diff for a pull request: the same checks as POST /v1/diff, audited as a diff."""
    from kpi_rules.serve.routes.diff_routes import Side, _side
    from kpi_rules.serve.routes.evaluation_routes import stored_job
    from kpi_rules.serve.storage import evaluations as store

    service = service_of(request)
    # need("diff") let only hr and service here: they see every evaluation, as POST /v1/diff does.
    stored = await run_in_threadpool(store.get, service.engine, eid)
    if stored is None:
        raise WebError(404)
    base = await run_in_threadpool(_side, service, policy, Side(ref=ref), "base", False)
    head = await run_in_threadpool(_side, service, policy, Side(source=source), "head", True)
    job = await run_in_threadpool(stored_job, service.engine, stored)
    text = await service.run_cpu(markdown_job, base, head, job)
    status = text.status if isinstance(text, Failure) else 200
    audited = Audited(target="/v1/diff", policy=stored.policy, data_sha256=stored.data_sha256)
    await run_in_threadpool(service.audit, Event(caller.name, caller.role, "diff", audited.target, status,
                                                 audited.policy, audited.data_sha256,
                                                 None if isinstance(text, Failure) else sha256(text.encode())))
    if isinstance(text, Failure):
        raise WebError(text.status, text.detail)
    return Response(text.encode(), media_type="text/markdown; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{policy}-whatif.md"'})


@router.post("/whatif/validate")
async def validate(request: Request) -> Response:
    """Validation as HR types: POST /v1/validate for the signed-in caller (CSRF in a header)."""
    session = await session_of(request)
    check_csrf(session, request.headers.get("x-csrf-token"))
    body = await request.body()
    if len(body) > MAX_SOURCE:
        raise WebError(413)
    answer = await call(request, session.caller, "POST", "/v1/validate", body=body, content_type="text/plain")
    return JSONResponse(answer.json(), status_code=answer.status)
