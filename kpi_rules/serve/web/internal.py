"""The web app's pages call the /v1 routes in-process, as the signed-in caller: the same access rule,
visibility filter, evaluation code and audit entry as an API client gets, never a second copy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.types import Message

from kpi_rules.serve.access import WEB_CALLER
from kpi_rules.serve.identity import Identity


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        return orjson.loads(self.body)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


async def call(request: Request, caller: Identity, method: str, path: str, *, query: Any = None,
               body: bytes = b"", content_type: str | None = None, headers: dict[str, str] | None = None) -> Answer:
    """One /v1 request through the whole app (its middleware included: metrics, audit)."""
    sent = [{"type": "http.request", "body": body, "more_body": False}]
    raw_headers = [(b"host", b"kpi-rules.internal"), (b"content-length", str(len(body)).encode())]
    if content_type:
        raw_headers.append((b"content-type", content_type.encode()))
    for name, value in (headers or {}).items():
        raw_headers.append((name.lower().encode(), value.encode()))
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": urlencode(query or {}, doseq=True).encode(), "headers": raw_headers,
        "client": request.scope.get("client"), "server": request.scope.get("server"), "state": {},
        WEB_CALLER: caller,
    }
    answer = Answer(500)
    chunks: list[bytes] = []

    async def receive() -> Message:
        return sent.pop(0) if sent else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = int(message["status"])
            answer.headers = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await request.app(scope, receive, send)
    answer.body = b"".join(chunks)
    return answer
