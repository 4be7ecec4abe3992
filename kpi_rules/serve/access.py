"""Who may do what: ONE dependency that every /v1 route goes through. It resolves the caller
(401 for no, unknown or revoked token) and the role's permission for the route's action (403).
A /v1 route without an action in ACTIONS is refused at start-up, so no route can forget it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute

from kpi_rules.serve.identity import LOCAL_HR, Identity, TokenStore
from kpi_rules.serve.problems import ProblemError

READ_OPEN = frozenset({"status", "policies", "validate"})
PERMISSIONS: dict[str, frozenset[str]] = {
    "hr": READ_OPEN | {"evaluate", "results", "explain", "report", "diff", "audit", "delete", "calibrate"},
    "service": READ_OPEN | {"evaluate", "results", "explain", "report", "diff"},
    "manager": READ_OPEN | {"results", "explain", "report"},
    "employee": READ_OPEN | {"results", "explain", "report"},
}
# Actions whose every request is audited, whatever its status (401 and 403 are audited for all).
AUDITED = frozenset({"evaluate", "results", "explain", "report", "diff", "audit", "delete", "calibrate"})

WEB_CALLER = "kpi_rules.web_caller"  # the scope key of a web session's identity (serve/web/internal.py)

# Each /v1 route's action, by route name (the endpoint function's name).
ACTIONS: dict[str, str] = {
    "status": "status", "list_policies": "policies", "get_policy": "policies", "policy_history": "policies",
    "validate_policy": "validate", "create_evaluation": "evaluate", "list_evaluations": "results",
    "get_evaluation": "results", "get_employee": "results", "explain_employee": "explain",
    "get_report": "report", "diff": "diff", "delete_evaluation": "delete", "list_audit": "audit",
    "verify_audit": "audit", "add_calibration": "calibrate", "list_calibrations": "calibrate",
}


@dataclass
class Audited:
    """What a request's audit entry says beyond who, what and the status; routes fill it in."""

    target: str
    policy: dict[str, Any] | None = None
    data_sha256: str | None = None
    result_sha256: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def resolve(tokens: TokenStore | None, token: str | None) -> Identity | None:
    if tokens is None:
        return LOCAL_HR
    if token is None:
        return None
    return tokens.lookup(token)


def authorize(request: Request) -> Identity:
    """The /v1 routers' dependency: the caller, allowed to do this route's action."""
    route = request.scope.get("route")
    action = ACTIONS.get(route.name) if isinstance(route, APIRoute) else None
    state = request.state
    state.action = action
    state.audit = Audited(target=request.url.path)
    if action is None:  # cannot happen: check_routes refuses such an app
        raise ProblemError(403, "this route has no access rule")
    service = request.app.state.service
    # The web app calls these routes in-process for a signed-in session: its caller rides in the scope,
    # which nothing outside this process can set.
    web_caller = request.scope.get(WEB_CALLER)
    caller = web_caller if isinstance(web_caller, Identity) else resolve(service.tokens, bearer_token(request))
    if caller is None:
        state.caller = None
        raise ProblemError(401, "a valid bearer token is required (Authorization: Bearer TOKEN)",
                           headers={"WWW-Authenticate": 'Bearer realm="kpi-rules"'})
    state.caller = caller
    if action not in PERMISSIONS[caller.role]:
        raise ProblemError(403, f"the role {caller.role} may not {action.replace('_', ' ')}")
    return caller


def _api_routes(routes: list[Any], prefix: str = "") -> list[tuple[str, APIRoute]]:
    """Every APIRoute with its full path, also inside included routers (FastAPI keeps them nested)."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append((prefix + route.path, route))
        nested = getattr(route, "original_router", None)
        if nested is not None:
            context = getattr(route, "include_context", None)
            found += _api_routes(list(nested.routes), prefix + str(getattr(context, "prefix", "") or ""))
    return found


def check_routes(routes: list[Any]) -> None:
    """Every /v1 route has an action and goes through `authorize`."""
    for path, route in _api_routes(routes):
        if path.startswith("/v1"):
            guarded = any(dep.call is authorize for dep in route.dependant.dependencies)
            if route.name not in ACTIONS or not guarded:
                raise RuntimeError(f"route {path} ({route.name}) has no access rule")
