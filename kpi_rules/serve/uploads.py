"""Request bodies within --max-upload: refused (413) from Content-Length before reading, and
counted while streaming, so a body is never read whole into memory past the limit."""

from __future__ import annotations

import contextlib
import re
from email.message import Message
from pathlib import PurePosixPath, PureWindowsPath

from fastapi import Request

from kpi_rules.serve.problems import ProblemError

POLICY_TYPES = frozenset({"application/yaml", "text/yaml", "application/x-yaml", "text/x-yaml", "text/plain"})


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def too_large(limit: int) -> ProblemError:
    return ProblemError(413, f"the body is larger than the server's limit of {limit} bytes (--max-upload)",
                        kind="too-large")


def check_length(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ProblemError(400, "Content-Length is not a number")
        if int(declared) > limit:
            raise too_large(limit)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused as soon as it passes `limit` bytes."""
    check_length(request, limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def safe_name(name: str | None) -> str:
    """The last path component of a client's file name (`../../x.csv` -> `x.csv`); `upload` if none."""
    if not name:
        return "upload"
    last = PureWindowsPath(PurePosixPath(name).name).name
    last = re.sub(r"[\x00-\x1f\x7f]", "", last).strip()
    return last if last not in ("", ".", "..") else "upload"


def disposition_name(header: str | None) -> str | None:
    """The filename (or filename*) of a Content-Disposition header."""
    if not header:
        return None
    with contextlib.suppress(UnicodeError):  # a raw UTF-8 name (as curl sends it) arrives decoded as Latin-1
        header = header.encode("latin-1").decode("utf-8")
    message = Message()
    message["content-disposition"] = header
    name = message.get_filename()
    return str(name) if name else None
