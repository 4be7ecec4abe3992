"""CSV read with Python's csv module: any dialect detail, quoting and encoding the fast
path in `csvbytes.py` leaves to it."""

from __future__ import annotations

import csv
import io
from typing import Any

from kpi_rules.data.raw import MAX_CELL, DataFileError, RawTable, check_header, escape_nul_cells, headerless_notes
from kpi_rules.results.reasons import Reason


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
    if nul >= 0 and _looks_binary(text, nul):
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
    notes = headerless_notes(header, rows, lines)
    cells = list(zip(*rows)) if rows else [() for _ in header]
    columns = {name: list(col) for name, col in zip(header, cells) if name}
    table = RawTable(file, digest, [h for h in header if h], columns, lines, errors, notes=notes)
    if nul >= 0:
        escape_nul_cells(table)
    return table


def _looks_binary(text: str, first_nul: int) -> bool:
    """NUL bytes in the header, or more than a few making over 1 character of 100 (a spreadsheet,
    UTF-16 without a byte order mark): not a CSV text. A few inside cells: only their rows are errors."""
    header_end = text.find("\n")
    count = text.count("\0")
    return header_end < 0 or first_nul < header_end or (count > 4 and count * 100 > len(text))
