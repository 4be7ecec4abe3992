"""What every page shares: the signed-in session (or the way to sign in), CSRF checks, the language,
rendering a template, and error pages (never a traceback)."""

from __future__ import annotations

import contextlib
from functools import cache
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from kpi_rules.common.resources import resource_dir
from kpi_rules.serve.access import PERMISSIONS
from kpi_rules.serve.problems import http_problem, invalid_problem
from kpi_rules.serve.service import Service
from kpi_rules.serve.web import i18n
from kpi_rules.serve.web.internal import Answer
from kpi_rules.serve.web.sessions import COOKIE, Session, create, csrf_ok, current, set_cookie

LANG_COOKIE = "kpi_lang"


class WebError(Exception):
    """A page that cannot be shown: its status and a message for the person."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status, self.message = status, message


class SignIn(Exception):
    """No live session: go to the sign-in page."""


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


@cache
def environment() -> jinja2.Environment:
    folder = resource_dir("templates").joinpath("web")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = i18n.number
    env.filters["pct"] = i18n.percent
    env.filters["status"] = i18n.status
    return env


def language(request: Request, locale: str | None = None) -> str:
    """`?lang=`, else the language chosen before, else the page's policy's locale (or the first policy's)."""
    if locale is None:
        policies = service_of(request).policies.all()
        locale = policies[0].policy.locale if policies else None
    return i18n.pick(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE), locale)


async def session_of(request: Request) -> Session:
    """The caller's session; on an open (no tokens, loopback) server one is made without sign-in."""
    service = service_of(request)
    session = current(service, request)
    if session is None and service.tokens is None:
        sid, csrf = create(service.engine, None)
        request.state.new_sid = sid
        session = current_from(sid, csrf)
    if session is None:
        if request.method != "GET":
            raise WebError(403, "Sign-in required")
        raise SignIn()
    return session


def current_from(sid: str, csrf: str) -> Session:
    from kpi_rules.serve.identity import LOCAL_HR
    from kpi_rules.serve.web.sessions import _digest

    return Session(_digest(sid), LOCAL_HR, csrf)


def check_csrf(session: Session, given: str | None) -> None:
    if not csrf_ok(session.csrf, given):
        raise WebError(403, "The page has expired; try again.")


def allowed(session: Session, action: str) -> bool:
    return action in PERMISSIONS[session.caller.role]


def need(session: Session, action: str) -> None:
    if not allowed(session, action):
        raise WebError(403, "Not allowed")


def from_api(answer: Answer) -> None:
    """An API answer that is not a success becomes the same status on the page."""
    if not answer.ok:
        detail = ""
        with contextlib.suppress(ValueError):
            detail = str(answer.json().get("detail", ""))
        raise WebError(answer.status, detail)


def page(request: Request, session: Session | None, name: str, status: int = 200, locale: str | None = None,
         **context: Any) -> HTMLResponse:
    lang = language(request, locale)
    query = {k: v for k, v in request.query_params.items() if k != "lang"}

    def t(text: str) -> str:
        return i18n.translate(lang, text)

    def lang_url(code: str) -> str:
        return f"{request.url.path}?{urlencode({**query, 'lang': code})}"

    html = environment().get_template(name).render(
        t=t, lang=lang, session=session, allowed=(lambda a: session is not None and allowed(session, a)),
        lang_url=lang_url, when=(lambda iso: i18n.when(lang, iso)), path=request.url.path, **context)
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Security-Policy"] = ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                                   "script-src 'self'; form-action 'self'; frame-ancestors 'none'")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    finish(request, response)
    return response


def finish(request: Request, response: Response) -> None:
    """Cookies a page sets: a new open-server session, the chosen language."""
    secure = request.url.scheme == "https"
    sid = getattr(request.state, "new_sid", None)
    if sid:
        set_cookie(response, COOKIE, sid, secure)
    requested = request.query_params.get("lang")
    if requested in i18n.LANGS:
        set_cookie(response, LANG_COOKIE, requested, secure, max_age=365 * 86400)


def install_errors(app: FastAPI) -> None:
    @app.exception_handler(SignIn)
    async def to_sign_in(request: Request, exc: SignIn) -> Response:
        return RedirectResponse(f"/signin?{urlencode({'next': request.url.path})}", status_code=303)

    @app.exception_handler(WebError)
    async def web_error(request: Request, exc: WebError) -> Response:
        titles = {401: "Sign-in required", 403: "Not allowed", 404: "Not found"}
        session = current(service_of(request), request)
        return page(request, session, "error.html.j2", status=exc.status,
                    title=titles.get(exc.status, "Something went wrong"), message=exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not _browser(request):
            return await http_problem(request, exc)
        return await web_error(request, WebError(exc.status_code))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if not _browser(request):
            return await invalid_problem(request, exc)
        said = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg', '')}" for e in exc.errors())
        return await web_error(request, WebError(422, said))


def _browser(request: Request) -> bool:
    """A browser's page request outside the API (a mistyped address, a bad query): it gets a page, not JSON."""
    path = request.url.path
    return "text/html" in request.headers.get("accept", "") and not path.startswith(("/v1/", "/docs", "/openapi"))
