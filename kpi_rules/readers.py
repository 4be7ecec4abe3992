"""Read a data file into raw columns: CSV, JSON, JSON lines, YAML, XLSX.

No typing happens here (that is `data.py`); a reader only gets the cells
out faithfully, with the line (or record number) each row came from.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .csvbytes import FloatArray, LazyColumns, plain_csv
from .perf import no_gc_pauses
from .problems import KpiRulesError
from .reasons import Reason

ENCODINGS = ("utf-8", "gb18030")
MAX_CELL = 10 * 1024 * 1024  # characters in one CSV cell (Python's csv stops at 131072)


class DataFileError(KpiRulesError):
    """The data file cannot be read at all (not a row problem)."""


@dataclass
class RawTable:
    """Cells as read, column by column; `lines[i]` is where row i starts in the file."""

    file: str
    sha256: str
    header: list[str]
    columns: MutableMapping[str, list[Any]]
    lines: list[int]
    row_errors: dict[int, list[str]] = field(default_factory=dict)
    encoding: str = ""
    notes: list[str] = field(default_factory=list)  # what was read but not used (a column without a header)
    # A column's cells as written in the file, where a reader typed some of them
    # (YAML's `0012` read as 12): text columns use these.
    texts: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.lines)

    def numbers(self, name: str) -> FloatArray | None:
        """The column as numbers, where the reader can tell every cell is a plain number or
        empty (see csvbytes); None: type its cells one by one."""
        return self.columns.numbers(name) if isinstance(self.columns, LazyColumns) else None

    def rename(self, mapping: dict[str, str]) -> None:
        """Use the file's column HEADER as NAME, for each NAME -> HEADER in `mapping`."""
        for name, header in mapping.items():
            if header not in self.columns:
                raise DataFileError(f"{self.file}: --column {name}={header}: there is no column `{header}`")
            if isinstance(self.columns, LazyColumns):
                self.columns.rename(header, name)
            else:
                self.columns[name] = self.columns.pop(header)
            if header in self.texts:
                self.texts[name] = self.texts.pop(header)
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


def records_table(file: str, digest: str, records: list[Any], lines: list[int]) -> RawTable:
    """A table of records (JSON objects, YAML mappings); `lines[i]` is where record i stands."""
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




def _headerless(header: list[str], rows: Sequence[Sequence[Any]], lines: list[int]) -> list[str]:
    """A note for each column without a header that holds something (its cells are not read)."""
    notes = []
    for k in (k for k, name in enumerate(header) if not name):
        first = next((line for row, line in zip(rows, lines)
                      if k < len(row) and row[k] is not None and str(row[k]).strip()), None)
        if first is not None:
            notes.append(f"column {k + 1} ({_letter(k)}) has no header, so its cells (the first on "
                         f"line {first}) are not read; give it a header or delete it")
    return notes


def _letter(k: int) -> str:
    """The spreadsheet letter of the 0-based column k: 0 -> A, 26 -> AA."""
    letters = ""
    k += 1
    while k:
        k, rest = divmod(k - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def check_header(file: str, header: list[str], row: str = "line 1") -> None:
    duplicates = sorted({h for h in header if h and header.count(h) > 1})
    if duplicates:
        raise DataFileError(f"{file}: {row}: the column(s) {', '.join(duplicates)} appear more than once")


def _csv_rows(reader: Any, file: str, width: int) -> tuple[list[list[str]], list[int], dict[int, list[str]]]:
    rows: list[list[str]] = []
    lines: list[int] = []
    errors: dict[int, list[str]] = {}
    start = reader.line_num + 1
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                start = reader.line_num + 1
                continue  # a blank line is not a row
            if len(row) != width:
                errors[len(rows)] = [Reason("ragged_row", cells=len(row), width=width, line=start)]
                row = (row + [""] * width)[:width]
            rows.append(row)
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        why = (f"a cell holds more than {MAX_CELL:,} characters" if "field larger" in str(exc)
               else f"not readable as CSV: {exc}")
        raise DataFileError(f"{file}: line {start}: {why}") from exc
    return rows, lines, errors


def read_csv(text: str, file: str, digest: str) -> RawTable:
    nul = text.find("\0")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        col = nul - text.rfind("\n", 0, nul)
        raise DataFileError(f"{file}:{line}:{col}: the file holds a NUL byte; is it really a CSV text file "
                            "(not a spreadsheet, nor UTF-16 without a byte order mark)?")
    csv.field_size_limit(MAX_CELL)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration as exc:
        raise DataFileError(f"{file}: the file is empty") from exc
    except csv.Error as exc:
        raise DataFileError(f"{file}: line 1: not readable as CSV: {exc}") from exc
    check_header(file, header)
    rows, lines, errors = _csv_rows(reader, file, len(header))
    notes = _headerless(header, rows, lines)
    cells = list(zip(*rows)) if rows else [() for _ in header]
    columns = {name: list(col) for name, col in zip(header, cells) if name}
    return RawTable(file, digest, [h for h in header if h], columns, lines, errors, notes=notes)


def read_xlsx(raw: bytes, file: str, digest: str, sheet: str | None) -> RawTable:
    try:
        import openpyxl
    except ImportError as exc:
        raise DataFileError("reading .xlsx files needs openpyxl: pip install 'kpi-rules[xlsx]'") from exc
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        if sheet is not None and sheet not in book.sheetnames:
            raise DataFileError(f"{file}: no sheet named {sheet!r}; sheets: {', '.join(book.sheetnames)}")
        ws = book[sheet] if sheet else book.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        records: list[Sequence[Any]] = []
        lines: list[int] = []
        for number, row in enumerate(rows, start=2):
            if any(cell is not None and str(cell).strip() != "" for cell in row):
                records.append(row)
                lines.append(number)
    except DataFileError:
        raise
    except Exception as exc:  # openpyxl raises anything from zipfile, XML parsers and its own checks
        raise DataFileError(f"{file}: not a readable Excel workbook ({type(exc).__name__}: {exc})") from exc
    check_header(file, header, "row 1")
    rows_as_dicts = [{h: row[i] if i < len(row) else None for i, h in enumerate(header) if h} for row in records]
    header += [""] * (max(map(len, records), default=0) - len(header))  # cells right of the last header
    table = records_table(file, digest, rows_as_dicts, lines)
    table.notes = _headerless(header, records, lines)
    return table


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
    if suffix == ".csv" and used in ("utf-8", "utf-8-sig"):
        plain = plain_csv(raw[3:] if used == "utf-8-sig" else raw, MAX_CELL)
        if plain is not None:
            header, cells = plain
            check_header(str(path), header)
            return RawTable(str(path), digest, header, LazyColumns(header, cells), list(range(2, cells.n + 2)),
                            encoding=used)
    from .jsondata import read_json, read_jsonl
    from .yamldata import read_yaml

    readers = {".csv": read_csv, ".json": read_json, ".jsonl": read_jsonl, ".ndjson": read_jsonl,
               ".yaml": read_yaml, ".yml": read_yaml}
    if suffix not in readers:
        raise DataFileError(f"{path}: unknown data format {suffix!r}; use .csv, .json, .jsonl, .yaml or .xlsx")
    with no_gc_pauses():
        table = readers[suffix](text, str(path), digest)
    table.encoding = used
    if used == "gb18030" and not encoding:
        # Any bytes read as GB18030, so a file saved in another encoding (Latin-1: Müller) would
        # come out as Chinese characters without a word: say which encoding was chosen.
        table.notes.append("the file is not UTF-8 and was read as GB18030 (as Chinese Excel saves CSV); "
                           "if names look wrong, save it as UTF-8 or pass --encoding")
    return table
