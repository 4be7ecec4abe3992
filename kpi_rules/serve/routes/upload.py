"""A data upload: a raw body by its media type, or multipart with a `data` file; its file name
from the multipart filename or Content-Disposition (`upload` when there is none)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from kpi_rules.data.readers import format_of
from kpi_rules.serve.problems import ProblemError
from kpi_rules.serve.uploads import disposition_name, media_type, read_body, safe_name

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATA_TYPES = {"text/csv": "csv", "application/csv": "csv", "application/json": "json",
              "application/x-ndjson": "jsonl", "application/jsonl": "jsonl", "application/x-jsonlines": "jsonl",
              "application/yaml": "yaml", "text/yaml": "yaml", XLSX: "xlsx"}
GENERIC = ("application/octet-stream", "")
# The request body as the OpenAPI document describes it: every media type read, and multipart's `data`.
DATA_BODY = {"requestBody": {"required": True, "content": {
    **{kind: {"schema": {"type": "string", "format": "binary"}} for kind in DATA_TYPES},
    "multipart/form-data": {"schema": {"type": "object", "required": ["data"],
                                       "properties": {"data": {"type": "string", "format": "binary"}}}}}}}


@dataclass(frozen=True)
class Upload:
    data: bytes
    name: str
    fmt: str


def unsupported(kind: str) -> ProblemError:
    known = ", ".join(sorted(DATA_TYPES)) + ", multipart/form-data"
    return ProblemError(415, f"cannot read data sent as {kind or 'no media type'}; send one of {known}",
                        kind="unsupported-media-type")


def _format(kind: str, name: str) -> str:
    if kind in DATA_TYPES:
        return DATA_TYPES[kind]
    by_name = format_of(name) if kind in GENERIC else None
    if by_name is None:
        raise unsupported(kind)
    return by_name


async def read_upload(request: Request, limit: int) -> Upload:
    kind = media_type(request)
    if kind != "multipart/form-data":
        if kind not in DATA_TYPES and kind not in GENERIC:
            raise unsupported(kind)
        name = safe_name(disposition_name(request.headers.get("content-disposition")))
        fmt = _format(kind, name)
        return Upload(await read_body(request, limit), name, fmt)
    body = await read_body(request, limit)  # bounded first; the form parser then reads it from memory
    request._body = body
    try:
        form = await request.form(max_files=1, max_fields=20)
    except MultiPartException as exc:
        raise ProblemError(400, f"the multipart body cannot be read: {exc.message}") from exc
    part = form.get("data")
    if not isinstance(part, UploadFile):
        raise ProblemError(422, "the multipart body needs a file field named `data`")
    name = safe_name(part.filename)
    part_kind = (part.content_type or "").split(";", 1)[0].strip().lower()
    fmt = _format(part_kind if part_kind in DATA_TYPES else "", name)
    data = await part.read()
    await form.close()
    return Upload(data, name, fmt)
