"""Read a data file into raw columns: CSV, JSON, JSON lines, YAML, XLSX.

No typing happens here (that is `data.py`); a reader only gets the cells
out faithfully, with the line (or record number) each row came from.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .perf import no_gc_pauses
from .problems import KpiRulesError
from .reasons import Reason

ENCODINGS = ("utf-8", "gb18030")


class DataFileError(KpiRulesError):
    """The data file cannot be read at all (not a row problem)."""


@dataclass
class RawTable:
    """Cells as read, column by column; `lines[i]` is where row i starts in the file."""

    file: str
    sha256: str
    header: list[str]
    columns: dict[str, list[Any]]
    lines: list[int]
    row_errors: dict[int, list[str]] = field(default_factory=dict)
    encoding: str = ""

    @property
    def n(self) -> int:
        return len(self.lines)

    def rename(self, mapping: dict[str, str]) -> None:
        """Use the file's column HEADER as NAME, for each NAME -> HEADER in `mapping`."""
        for name, header in mapping.items():
            if header not in self.columns:
                raise DataFileError(f"{self.file}: --column {name}={header}: there is no column `{header}`")
            self.columns[name] = self.columns.pop(header)
            self.header[self.header.index(header)] = name


def decode_text(raw: bytes, file: str, encoding: str | None) -> tuple[str, str]:
    """Text and the encoding used: UTF-8 (BOM or not), else GB18030 (Chinese Excel)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    for candidate in (encoding,) if encoding else ENCODINGS:
        try:
            return raw.decode(candidate), candidate
        except (UnicodeDecodeError, LookupError) as exc:
            if encoding:
                raise DataFileError(f"{file}: cannot be read as {encoding}: {exc}") from exc
    raise DataFileError(f"{file}: the text is neither UTF-8 nor GB18030; save it as UTF-8 or pass --encoding")


def _from_records(file: str, digest: str, records: list[Any], lines: list[int]) -> RawTable:
    header: list[str] = []
    seen: set[str] = set()
    errors: dict[int, list[str]] = {}
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            errors[i] = [Reason("not_a_record", record=lines[i])]
            continue
        for key in record:
            if key not in seen:
                seen.add(key)
                header.append(str(key))
    columns = {
        key: [r.get(key) if isinstance(r, dict) else None for r in records] for key in header
    }
    return RawTable(file, digest, header, columns, lines, errors)


def read_csv(text: str, file: str, digest: str) -> RawTable:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration as exc:
        raise DataFileError(f"{file}: the file is empty") from exc
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise DataFileError(f"{file}: line 1: the column(s) {', '.join(duplicates)} appear more than once")
    width = len(header)
    rows: list[list[str]] = []
    lines: list[int] = []
    errors: dict[int, list[str]] = {}
    start = reader.line_num + 1
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            start = reader.line_num + 1
            continue  # a blank line is not a row
        if len(row) != width:
            errors[len(rows)] = [Reason("ragged_row", cells=len(row), width=width)]
            row = (row + [""] * width)[:width]
        rows.append(row)
        lines.append(start)
        start = reader.line_num + 1
    cells = list(zip(*rows)) if rows else [() for _ in header]
    columns = {name: list(col) for name, col in zip(header, cells)}
    return RawTable(file, digest, header, columns, lines, errors)


def read_json(text: str, file: str, digest: str) -> RawTable:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{file}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from exc
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        data = data["rows"]
    if not isinstance(data, list):
        raise DataFileError(f"{file}: expected a JSON array of rows (objects)")
    return _from_records(file, digest, data, list(range(1, len(data) + 1)))


def read_jsonl(text: str, file: str, digest: str) -> RawTable:
    records: list[Any] = []
    lines: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise DataFileError(f"{file}:{number}:{exc.colno}: not valid JSON: {exc.msg}") from exc
        lines.append(number)
    return _from_records(file, digest, records, lines)


def read_yaml(text: str, file: str, digest: str) -> RawTable:
    from .loader import load_text

    loaded = load_text(text, file)
    if loaded.problems:
        first = loaded.problems[0]
        raise DataFileError(f"{first.location}: {first.message}")
    data = loaded.data
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        data = data["rows"]
        prefix: tuple[Any, ...] = ("rows",)
    else:
        prefix = ()
    if not isinstance(data, list):
        raise DataFileError(f"{file}: expected a list of rows")
    lines = [loaded.source.value(prefix + (i,)).line for i in range(len(data))]
    return _from_records(file, digest, data, lines)


def read_xlsx(raw: bytes, file: str, digest: str, sheet: str | None) -> RawTable:
    try:
        import openpyxl
    except ImportError as exc:
        raise DataFileError("reading .xlsx files needs openpyxl: pip install 'kpi-rules[xlsx]'") from exc
    book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    if sheet is not None and sheet not in book.sheetnames:
        raise DataFileError(f"{file}: no sheet named {sheet!r}; sheets: {', '.join(book.sheetnames)}")
    ws = book[sheet] if sheet else book.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    records: list[Any] = []
    lines: list[int] = []
    for number, row in enumerate(rows, start=2):
        if all(cell is None or str(cell).strip() == "" for cell in row):
            continue
        records.append({h: row[i] if i < len(row) else None for i, h in enumerate(header) if h})
        lines.append(number)
    return _from_records(file, digest, records, lines)


def read_table(path: str | Path, encoding: str | None = None, sheet: str | None = None) -> RawTable:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataFileError(f"{path}: cannot be read: {exc.strerror}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(raw, str(path), digest, sheet)
    text, used = decode_text(raw, str(path), encoding)
    readers = {".csv": read_csv, ".json": read_json, ".jsonl": read_jsonl, ".ndjson": read_jsonl,
               ".yaml": read_yaml, ".yml": read_yaml}
    if suffix not in readers:
        raise DataFileError(f"{path}: unknown data format {suffix!r}; use .csv, .json, .jsonl, .yaml or .xlsx")
    with no_gc_pauses():
        table = readers[suffix](text, str(path), digest)
    table.encoding = used
    return table
