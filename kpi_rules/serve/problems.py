"""Errors as application/problem+json (RFC 9457): type, title, status, detail, and `problems`
where a policy or data file is at fault. No response ever carries a stack trace."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_TYPE = "application/problem+json"
TYPE_BASE = "https://kpi-rules.dev/problems/"
log = logging.getLogger("kpi_rules.serve")
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["type", "title", "status", "detail"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                   "detail": {"type": "string"},
                   "problems": {"type": "array", "items": {"type": "object"}}},
}
_PROBLEM_CONTENT = {"content": {PROBLEM_TYPE: {"schema": PROBLEM_SCHEMA}}}
# Every status a /v1 route may answer with a problem document, for the OpenAPI document.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": HTTPStatus(status).phrase, **_PROBLEM_CONTENT}
    for status in (400, 401, 403, 404, 405, 406, 409, 411, 413, 415, 422, 500, 503)}


class ProblemError(Exception):
    """Raised by a route or dependency to answer with a problem document."""

    def __init__(self, status: int, detail: str, *, title: str | None = None, kind: str | None = None,
                 problems: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.kind = kind
        self.problems = problems
        self.headers = headers


def problem_body(status: int, detail: str, *, title: str | None = None, kind: str | None = None,
                 problems: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    phrase = HTTPStatus(status).phrase
    slug = kind or phrase.lower().replace(" ", "-").replace("'", "")
    body: dict[str, Any] = {"type": TYPE_BASE + slug, "title": title or phrase, "status": status, "detail": detail}
    if problems is not None:
        body["problems"] = problems
    return body


def problem_response(status: int, detail: str, *, title: str | None = None, kind: str | None = None,
                     problems: list[dict[str, Any]] | None = None,
                     headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(problem_body(status, detail, title=title, kind=kind, problems=problems),
                        status_code=status, media_type=PROBLEM_TYPE, headers=headers)


async def _problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(exc.status, exc.detail, title=exc.title, kind=exc.kind, problems=exc.problems,
                            headers=exc.headers)


async def http_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no such resource: {request.url.path}"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    return problem_response(exc.status_code, detail, headers=dict(exc.headers or {}) or None)


async def invalid_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [{"path": ".".join(str(p) for p in err.get("loc", ())), "message": str(err.get("msg", ""))}
                for err in exc.errors()]
    detail = "; ".join(f"{p['path']}: {p['message']}" for p in problems) or "the request is not valid"
    return problem_response(422, detail, kind="invalid-request", problems=problems)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The traceback goes to the server's log, never to the client.
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, "the server failed to answer this request; the error is in its log")


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _problem)
    app.add_exception_handler(StarletteHTTPException, http_problem)
    app.add_exception_handler(RequestValidationError, invalid_problem)
    app.add_exception_handler(Exception, _unexpected)
