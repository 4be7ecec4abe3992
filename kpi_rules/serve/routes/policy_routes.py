"""/v1/policies and /v1/validate: every role may read the rules that score people."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Query, Request
from starlette.concurrency import run_in_threadpool

from kpi_rules.policy.validate import validate_bytes
from kpi_rules.serve import gitinfo
from kpi_rules.serve.policies import Served, load_one, problems_of
from kpi_rules.serve.problems import ProblemError
from kpi_rules.serve.routes import v1_router
from kpi_rules.serve.service import Service
from kpi_rules.serve.uploads import POLICY_TYPES, disposition_name, media_type, read_body, safe_name

router = v1_router()
POLICY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
HISTORY_LIMIT = 200  # the default; a list's `limit` is served up to LIST_LIMIT (SERVICE.md 7)
LIST_LIMIT = 1000


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def served_policy(service: Service, policy_id: str) -> Served:
    """The policy in service with this id, or 404 (ids are looked up, never used as paths)."""
    served = service.policies.get(policy_id) if POLICY_ID.match(policy_id) else None
    if served is None:
        raise ProblemError(404, f"no policy {policy_id!r} is in service; GET /v1/policies lists them")
    return served


def checked_ref(ref: str) -> str:
    try:
        return gitinfo.check_ref(ref)
    except gitinfo.RefError as exc:
        raise ProblemError(400, str(exc), kind="bad-ref") from exc


def at_ref(service: Service, served: Served, ref: str) -> Served:
    """The policy as it is at a git revision: 404 if the revision or the file there does not exist,
    422 if that version does not validate."""
    raw = gitinfo.show(served.path, checked_ref(ref))
    if raw is None:
        raise ProblemError(404, f"{served.id} has no version at {ref!r}")
    old, problems = load_one(served.path, raw)
    if old is None:
        raise ProblemError(422, f"{served.id} at {ref} is not a valid policy", problems=problems)
    commit = gitinfo.resolve(served.path, ref)
    return Served(old.policy, served.path, raw, old.document, commit, False, served.name)


@router.get("/policies", tags=["policies"])
def list_policies(request: Request, limit: Annotated[int, Query(ge=1)] = LIST_LIMIT) -> dict[str, Any]:
    """The policies in service: id, title, version, locale, path, sha256, commit, effective (`limit`: at most 1000)."""
    return {"items": [s.summary() for s in _service(request).policies.all()[:min(limit, LIST_LIMIT)]]}


@router.get("/policies/{policy_id}", tags=["policies"])
def get_policy(request: Request, policy_id: str, ref: str | None = None) -> dict[str, Any]:
    """One policy with its YAML `source` and its `document` as JSON; `ref` reads it at a git revision."""
    service = _service(request)
    served = served_policy(service, policy_id)
    if ref is not None:
        served = at_ref(service, served, ref)
    return {**served.summary(), "source": served.source.decode("utf-8", "replace"), "document": served.document}


@router.get("/policies/{policy_id}/history", tags=["policies"])
def policy_history(request: Request, policy_id: str,
                   limit: Annotated[int, Query(ge=1)] = HISTORY_LIMIT) -> dict[str, Any]:
    """The policy file's git history, newest first: commit, date, author, subject, version."""
    served = served_policy(_service(request), policy_id)
    items = []
    for item in gitinfo.history(served.path, min(limit, LIST_LIMIT)):
        raw = gitinfo.show(served.path, item["commit"])
        version = None
        if raw is not None:
            old, _ = load_one(served.path, raw, with_git=False)
            version = old.policy.version if old else None
        items.append({**item, "version": version})
    return {"items": items}


@router.post("/validate", tags=["policies"],
             openapi_extra={"requestBody": {"required": True, "content": {
                 t: {"schema": {"type": "string"}} for t in sorted(POLICY_TYPES)}}})
async def validate_policy(request: Request) -> dict[str, Any]:
    """Validate a policy's YAML: the same problems as `kpi-rules validate --format json` (200 either way)."""
    if media_type(request) not in POLICY_TYPES:
        raise ProblemError(415, "send the policy as application/yaml, text/yaml or text/plain",
                           kind="unsupported-media-type")
    raw = await read_body(request, _service(request).settings.max_upload)
    name = safe_name(disposition_name(request.headers.get("content-disposition")) or "policy.yaml")
    validation = await run_in_threadpool(validate_bytes, raw, name)
    return {"valid": validation.ok, "problems": problems_of(validation)}
