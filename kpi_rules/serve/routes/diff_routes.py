"""POST /v1/diff: what a policy change does to people, on an evaluation's stored data."""

from __future__ import annotations

from fastapi import Depends, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from kpi_rules.serve import gitinfo
from kpi_rules.serve.problems import ProblemError
from kpi_rules.serve.routes import v1_router
from kpi_rules.serve.routes.evaluation_routes import stored_job, visible
from kpi_rules.serve.routes.policy_routes import checked_ref, served_policy
from kpi_rules.serve.service import Service
from kpi_rules.serve.uploads import media_type
from kpi_rules.serve.worker import Failure, diff_job, sha256

router = v1_router()


class Side(BaseModel):
    ref: str | None = Field(default=None, max_length=200, description="a git revision of the policy file")
    source: str | None = Field(default=None, description="the policy's YAML text (head only)")


class DiffRequest(BaseModel):
    policy: str = Field(max_length=128)
    base: Side
    head: Side
    evaluation_id: str = Field(max_length=64)


def _side(service: Service, policy_id: str, side: Side, which: str, allow_source: bool) -> tuple[bytes, str]:
    served = served_policy(service, policy_id)
    if side.source is not None and allow_source and side.ref is None:
        limit = service.settings.max_upload
        raw = side.source.encode("utf-8")
        if len(raw) > limit:
            raise ProblemError(413, f"the head source is larger than {limit} bytes")
        return raw, served.name  # as the CLI labels a file given by name
    if side.ref is None or side.source is not None:
        give = "ref or source" if allow_source else "ref"
        raise ProblemError(422, f"{which}: give exactly one {give}")
    at_ref = gitinfo.show(served.path, checked_ref(side.ref))
    if at_ref is None:
        raise ProblemError(404, f"{policy_id} has no version at {side.ref!r}")
    return at_ref, f"{side.ref}:{served.name}"


def json_body(request: Request) -> None:
    """The request is JSON (or says nothing of its type); any other type is 415, not a 422 about its fields."""
    kind = media_type(request)
    if kind and kind != "application/json" and not kind.endswith("+json"):
        raise ProblemError(415, f"send the diff request as application/json, not {kind}")


@router.post("/diff", tags=["diff"], response_class=Response, dependencies=[Depends(json_body)],
             responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}})
async def diff(request: Request, body: DiffRequest) -> Response:
    """Both versions on the evaluation's stored data: the same document as `kpi-rules diff --format json`."""
    service: Service = request.app.state.service
    stored = await run_in_threadpool(visible, request, body.evaluation_id)
    base = await run_in_threadpool(_side, service, body.policy, body.base, "base", False)
    head = await run_in_threadpool(_side, service, body.policy, body.head, "head", True)
    job = await run_in_threadpool(stored_job, service.engine, stored)
    text = await service.run_cpu(diff_job, base, head, job)
    if isinstance(text, Failure):
        raise ProblemError(text.status, text.detail, problems=text.problems)
    out = text.encode("utf-8")
    request.state.audit.result_sha256 = sha256(out)
    return Response(out, media_type="application/json")
