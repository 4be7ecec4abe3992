"""Web sessions, kept in the service's database: an HttpOnly, SameSite=Strict cookie holds a random
session id (the table keeps only its SHA-256), each session has its CSRF token, a session ends when
signed out or after `--session-idle` seconds without a request, and a revoked token ends it too."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select, update
from starlette.requests import Request
from starlette.responses import Response

from kpi_rules.serve.identity import LOCAL_HR, Identity
from kpi_rules.serve.service import Service
from kpi_rules.serve.storage.db import reading
from kpi_rules.serve.storage.schema import web_sessions

COOKIE = "kpi_session"
PRE_CSRF = "kpi_signin_csrf"  # the sign-in form's CSRF token, before there is a session
TOUCH_EVERY = 30.0  # seconds: `seen` is written at most this often per session


@dataclass(frozen=True)
class Session:
    id_sha256: str
    caller: Identity
    csrf: str


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def create(engine: Engine, token_sha256: str | None) -> tuple[str, str]:
    """A new session for a token (None on an open server): (the cookie's session id, its CSRF token)."""
    sid, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), time.time()
    with engine.begin() as conn:
        conn.execute(delete(web_sessions).where(web_sessions.c.seen < now - 7 * 86400))  # long-dead ones
        conn.execute(insert(web_sessions).values(id_sha256=_digest(sid), token_sha256=token_sha256, csrf=csrf,
                                                 created=now, seen=now))
    return sid, csrf


def end(engine: Engine, id_sha256: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(web_sessions).where(web_sessions.c.id_sha256 == id_sha256))


def current(service: Service, request: Request) -> Session | None:
    """The request's live session with its caller, or None (no cookie, unknown, idle too long, revoked)."""
    sid = request.cookies.get(COOKIE)
    if not sid or len(sid) > 200:
        return None
    key, now = _digest(sid), time.time()
    with reading(service.engine) as conn:
        row = conn.execute(select(web_sessions).where(web_sessions.c.id_sha256 == key)).first()
    if row is None:
        return None
    if now - row.seen > service.settings.session_idle:
        end(service.engine, key)
        return None
    if service.tokens is None:
        caller: Identity | None = LOCAL_HR
    else:
        caller = service.tokens.lookup_digest(row.token_sha256) if row.token_sha256 else None
    if caller is None:  # the token was revoked (or the server now needs tokens): the session ends
        end(service.engine, key)
        return None
    if now - row.seen > TOUCH_EVERY:
        with service.engine.begin() as conn:
            conn.execute(update(web_sessions).where(web_sessions.c.id_sha256 == key).values(seen=now))
    return Session(key, caller, row.csrf)


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def set_cookie(response: Response, name: str, value: str, secure: bool, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict", secure=secure, path="/")
