"""Read a JSON array of rows, or JSON lines (one row per line).

Python's json module keeps the last of two equal keys without a word: here such a
record is an error row naming the key. Errors json reports as other exceptions (an
array nested past the recursion limit, an integer of more than 4300 digits) become
a DataFileError naming the line and column, like a syntax error.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from kpi_rules.data.raw import DataFileError, RawTable, records_table
from kpi_rules.results.reasons import Reason

TOO_DEEP = 200  # the depth named when json gives up (a row needs 1 level, a cell holds no lists)
# Strings (skipped), brackets, and integers long enough to be refused (not the digits of a float).
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]|(?<![0-9.eE+-])-?[0-9]{100,}(?![0-9.eE])')


class _Duplicated(dict[str, Any]):
    """A JSON object that named one of its keys more than once."""

    key = ""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) == len(pairs):
        return record
    duplicated = _Duplicated(record)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            duplicated.key = key
            break
        seen.add(key)
    return duplicated


_DECODER = json.JSONDecoder(object_pairs_hook=_object)


def _position(text: str, offset: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - start + 1


def _not_json(text: str, exc: Exception) -> tuple[int, str]:
    """Where and why json refused `text` with something other than a JSONDecodeError."""
    depth = 0
    for token in _TOKEN.finditer(text):
        first = token.group()[0]
        if first in "[{":
            depth += 1
            if depth > TOO_DEEP and isinstance(exc, RecursionError):
                return token.start(), f"lists and objects are nested more than {TOO_DEEP} levels deep here"
        elif first in "]}":
            depth -= 1
        elif first != '"' and isinstance(exc, ValueError):
            digits = len(token.group().lstrip("-"))
            if digits > getattr(sys, "get_int_max_str_digits", lambda: 4300)():
                return token.start(), f"a number of {digits:,} digits is too long to read"
    return 0, f"cannot be read: {exc}"


def _decode(text: str, file: str, line: int = 1) -> Any:
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{file}:{exc.lineno + line - 1}:{exc.colno}: not valid JSON: {exc.msg}") from exc
    except (RecursionError, ValueError) as exc:
        offset, message = _not_json(text, exc)
        at, col = _position(text, offset)
        raise DataFileError(f"{file}:{at + line - 1}:{col}: not valid JSON: {message}") from exc


def _table(file: str, digest: str, records: list[Any], numbers: list[int]) -> RawTable:
    table = records_table(file, digest, records, numbers)
    for i, record in enumerate(records):
        if isinstance(record, _Duplicated):
            table.row_errors.setdefault(i, []).append(Reason("duplicate_key", record=numbers[i], key=record.key))
    return table


def read_json(text: str, file: str, digest: str) -> RawTable:
    data = _decode(text, file)
    if isinstance(data, _Duplicated):
        raise DataFileError(f"{file}: the top-level object gives `{data.key}` more than once")
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        data = data["rows"]
    if not isinstance(data, list):
        raise DataFileError(f"{file}: expected a JSON array of rows (objects)")
    return _table(file, digest, data, list(range(1, len(data) + 1)))


def read_jsonl(text: str, file: str, digest: str) -> RawTable:
    records: list[Any] = []
    lines: list[int] = []
    # Only \n ends a record: str.splitlines() would also split at U+2028 and other
    # characters that JSON strings may hold as they are.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip(" \t\r"):
            continue
        records.append(_decode(line.removesuffix("\r"), file, number))
        lines.append(number)
    return _table(file, digest, records, lines)
