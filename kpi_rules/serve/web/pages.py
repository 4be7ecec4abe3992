"""Sign-in, sign-out, policies and the audit log as pages."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kpi_rules.serve.identity import token_digest
from kpi_rules.serve.web.common import (
    WebError,
    check_csrf,
    finish,
    from_api,
    page,
    service_of,
    session_of,
)
from kpi_rules.serve.web.internal import call
from kpi_rules.serve.web.sessions import COOKIE, PRE_CSRF, create, csrf_ok, current, end, set_cookie

router = APIRouter(include_in_schema=False)


def _next(target: str | None) -> str:
    """Only a path on this server (no `//host`, no scheme) is followed after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/signin")
def signin_form(request: Request, next: str | None = None) -> Response:
    service = service_of(request)
    if service.tokens is None or current(service, request) is not None:
        return RedirectResponse(_next(next), status_code=303)
    csrf = secrets.token_urlsafe(32)
    response = page(request, None, "signin.html.j2", csrf=csrf, next=_next(next), failed=False)
    set_cookie(response, PRE_CSRF, csrf, request.url.scheme == "https", max_age=3600)
    return response


TOKEN_MAX = 500  # a longer "token" (a pasted paragraph) is refused like any wrong one, on the sign-in page


@router.post("/signin")
def signin(request: Request, token: Annotated[str, Form()] = "",
           csrf: Annotated[str, Form(max_length=200)] = "", next: Annotated[str, Form(max_length=500)] = "/"
           ) -> Response:
    service = service_of(request)
    if not csrf_ok(request.cookies.get(PRE_CSRF, ""), csrf):
        raise WebError(403, "The page has expired; try again.")
    token = token.strip()
    caller = service.tokens.lookup(token) if service.tokens is not None and 0 < len(token) <= TOKEN_MAX else None
    if service.tokens is not None and caller is None:
        fresh = secrets.token_urlsafe(32)
        refused = page(request, None, "signin.html.j2", status=401, csrf=fresh, next=_next(next), failed=True)
        set_cookie(refused, PRE_CSRF, fresh, request.url.scheme == "https", max_age=3600)
        return refused
    sid, _ = create(service.engine, token_digest(token) if caller else None)
    response = RedirectResponse(_next(next), status_code=303)
    set_cookie(response, COOKIE, sid, request.url.scheme == "https")
    response.delete_cookie(PRE_CSRF, path="/")
    return response


@router.post("/signout")
async def signout(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    session = await session_of(request)
    check_csrf(session, csrf)
    end(service_of(request).engine, session.id_sha256)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/")
async def home(request: Request) -> Response:
    session = await session_of(request)
    response = RedirectResponse("/evaluations" if session.caller.role in ("manager", "employee") else "/policies",
                                status_code=303)
    finish(request, response)
    return response


@router.get("/policies")
async def policies(request: Request) -> HTMLResponse:
    session = await session_of(request)
    answer = await call(request, session.caller, "GET", "/v1/status")
    from_api(answer)
    listed = await call(request, session.caller, "GET", "/v1/policies")
    from_api(listed)
    return page(request, session, "policies.html.j2", items=listed.json()["items"], failed=answer.json()["failed"])


def _tables(document: dict[str, Any]) -> dict[str, Any]:
    """The policy's indicators, and each role's indicators with weight, target and scale, as table rows."""
    indicators = document.get("indicators")
    roles = document.get("roles")
    rows = []
    for rid, role in (roles.items() if isinstance(roles, dict) else []):
        chosen = role.get("indicators") if isinstance(role, dict) else None
        for iid, spec in (chosen.items() if isinstance(chosen, dict) else []):
            spec = spec if isinstance(spec, dict) else {}
            rows.append({"role": rid, "label": role.get("label", rid), "indicator": iid,
                         "weight": spec.get("weight"), "target": spec.get("target"), "scale": spec.get("scale")})
    return {"indicators": indicators if isinstance(indicators, dict) else {}, "roles": rows}


@router.get("/policies/{policy_id}")
async def policy(request: Request, policy_id: str) -> HTMLResponse:
    session = await session_of(request)
    answer = await call(request, session.caller, "GET", f"/v1/policies/{policy_id}")
    from_api(answer)
    found = answer.json()
    history = await call(request, session.caller, "GET", f"/v1/policies/{policy_id}/history")
    validated = await call(request, session.caller, "POST", "/v1/validate", body=found["source"].encode(),
                           content_type="application/yaml")
    return page(request, session, "policy.html.j2", locale=found.get("locale"), policy=found,
                lines=found["source"].split("\n"),
                history=history.json()["items"] if history.ok else [], problems=validated.json()["problems"],
                **_tables(found["document"]))
