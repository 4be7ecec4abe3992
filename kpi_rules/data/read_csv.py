"""CSV read with Python's csv module: any dialect detail, quoting and encoding the fast
path in `csvbytes.py` leaves to it; the cell separator Excel used (`,`, European `;`, tab);
a title above the header (`header_row`); Excel's blank rows (`,,,,`) skipped and counted."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from kpi_rules.data.raw import (
    MAX_CELL,
    DataFileError,
    RawTable,
    check_header,
    escape_nul_cells,
    headerless_notes,
    option,
)
from kpi_rules.results.reasons import Reason

SEPARATORS = {",": "`,`", ";": "`;` (as European Excel saves CSV)", "\t": "tabs"}
_DECIMAL_COMMA = re.compile(r"\s*[+-]?[0-9]+,[0-9]+\s*", re.ASCII)


def separator(line: str) -> str:
    """The cell separator of a header line: whichever of `,` `;` tab it holds most (`,` on a tie)."""
    counts = {sep: line.count(sep) for sep in SEPARATORS}
    return max(counts, key=lambda sep: (counts[sep], sep == ",", sep == ";"))


def _line(text: str, number: int) -> str:
    """Line `number` (1-based) of the text, without reading the rest."""
    start = 0
    for _ in range(number - 1):
        start = text.find("\n", start) + 1
        if not start:
            return ""
    end = text.find("\n", start)
    return text[start:end if end >= 0 else len(text)]


def _csv_rows(reader: Any, file: str, width: int) -> tuple[list[tuple[str, ...]], list[int], dict[int, list[str]],
                                                           list[int]]:
    rows: list[tuple[str, ...]] = []  # tuples of text: the cyclic collector stops tracking them
    lines: list[int] = []
    errors: dict[int, list[str]] = {}
    blank: list[int] = []  # lines of rows whose every cell is empty (Excel's `,,,,`)
    start = reader.line_num + 1
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                start = reader.line_num + 1
                continue  # a blank line is not a row
            if not row[0].strip() and not "".join(row).strip():
                blank.append(start)
                start = reader.line_num + 1
                continue
            if len(row) != width:
                errors[len(rows)] = [Reason("ragged_row", cells=len(row), width=width, line=start)]
                row = (row + [""] * width)[:width]
            rows.append(tuple(row))
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        why = (f"a cell holds more than {MAX_CELL:,} characters" if "field larger" in str(exc)
               else f"not readable as CSV: {exc}")
        raise DataFileError(f"{file}: line {start}: {why}") from exc
    return rows, lines, errors, blank


def blank_rows_note(blank: list[int], what: str = "line") -> list[str]:
    """The note that says which rows were skipped because every cell is empty."""
    if not blank:
        return []
    where = f"{what} {blank[0]}" if len(blank) == 1 else f"{what}s {blank[0]}-{blank[-1]}"
    return [f"{len(blank)} empty row{'s' if len(blank) > 1 else ''} ({where}) skipped: every cell is empty"]


def _decimal_commas(rows: list[tuple[str, ...]]) -> int:
    """In a `;` file, `0,95` is a number written with a decimal comma: made `0.95`. The count."""
    changed = 0
    for i, row in enumerate(rows):
        fixed = [cell.replace(",", ".") if "," in cell and _DECIMAL_COMMA.fullmatch(cell) else cell for cell in row]
        count = sum(a is not b for a, b in zip(fixed, row))
        if count:
            rows[i] = tuple(fixed)
            changed += count
    return changed


def read_csv(text: str, file: str, digest: str, header_row: int = 1) -> RawTable:
    nul = text.find("\0")
    if nul >= 0 and _looks_binary(text, nul):
        line = text.count("\n", 0, nul) + 1
        col = nul - text.rfind("\n", 0, nul)
        raise DataFileError(f"{file}:{line}:{col}: the file holds a NUL byte; is it really a CSV text file "
                            "(not a spreadsheet, nor UTF-16 without a byte order mark)?")
    csv.field_size_limit(MAX_CELL)
    sep = separator(_line(text, header_row))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        for _ in range(header_row - 1):
            next(reader)
        header = [h.strip() for h in next(reader)]
    except StopIteration as exc:
        if header_row > 1:
            raise DataFileError(f"{file}: {option('header_row', header_row)}: "
                                "the file has fewer rows than that") from exc
        raise DataFileError(f"{file}: the file is empty") from exc
    except csv.Error as exc:
        raise DataFileError(f"{file}: line {reader.line_num}: not readable as CSV: {exc}") from exc
    check_header(file, header, f"line {reader.line_num}")
    rows, lines, errors, blank = _csv_rows(reader, file, len(header))
    notes = []
    if sep != ",":
        notes.append(f"the cells are separated by {SEPARATORS[sep]}, and were read so")
        commas = _decimal_commas(rows) if sep == ";" else 0
        if commas:
            notes.append(f"{commas} number{'s' if commas > 1 else ''} written with a decimal comma (0,95) "
                         "read as 0.95")
    notes += blank_rows_note(blank) + headerless_notes(header, rows, lines)
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
