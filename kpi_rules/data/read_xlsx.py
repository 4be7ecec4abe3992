"""Excel workbooks (.xlsx) read with openpyxl, in read-only mode."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from typing import Any

from kpi_rules.data.raw import DataFileError, RawTable, check_header, headerless_notes, option, records_table
from kpi_rules.data.read_csv import blank_rows_note

# A real workbook's parts unpack to 5-30 times their packed size; a zip bomb to hundreds or more.
MAX_RATIO = 200
RATIO_FROM = 100 * 2**20  # below this much unpacked, any ratio is harmless
MAX_UNPACKED = 4 * 2**30  # about 2 million rows of 30 columns


def _check_unpacked(raw: bytes, file: str) -> None:
    """Refuse a workbook whose parts would unpack to far more than any real one, before reading it."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as book:
            unpacked = sum(member.file_size for member in book.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip at all: openpyxl says so in its words below
    if unpacked > MAX_UNPACKED or (unpacked > RATIO_FROM and unpacked > MAX_RATIO * len(raw)):
        raise DataFileError(f"{file}: not a readable Excel workbook: its {_size(len(raw))} would unpack to "
                            f"{_size(unpacked)}, which no real workbook does (a zip bomb?); save it again from Excel")


def _size(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB" if n >= 2**20 else f"{n / 2**10:,.1f} KiB"


def read_xlsx(raw: bytes, file: str, digest: str, sheet: str | None, header_row: int = 1) -> RawTable:
    """The sheet's rows below its header (row `header_row`, after a title); empty rows skipped
    and counted in the notes."""
    try:
        import openpyxl
    except ImportError as exc:
        raise DataFileError("reading .xlsx files needs openpyxl: pip install 'kpi-rules[xlsx]'") from exc
    _check_unpacked(raw, file)
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        if sheet is not None and sheet not in book.sheetnames:
            raise DataFileError(f"{file}: no sheet named {sheet!r}; sheets: {', '.join(book.sheetnames)}")
        ws = book[sheet] if sheet else book.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        for _ in range(header_row - 1):
            if next(rows, None) is None:
                raise DataFileError(f"{file}: {option('header_row', header_row)}: the sheet has fewer rows than that")
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        records: list[Sequence[Any]] = []
        lines: list[int] = []
        blank: list[int] = []
        for number, row in enumerate(rows, start=header_row + 1):
            if any(cell is not None and str(cell).strip() != "" for cell in row):
                records.append(row)
                lines.append(number)
            elif row and records:
                blank.append(number)
    except DataFileError:
        raise
    except Exception as exc:  # openpyxl raises anything from zipfile, XML parsers and its own checks
        raise DataFileError(f"{file}: not a readable Excel workbook ({type(exc).__name__}: {exc})") from exc
    check_header(file, header, f"row {header_row}")
    blank = [number for number in blank if number < lines[-1]] if lines else []  # trailing ones are no rows
    rows_as_dicts = [{h: row[i] if i < len(row) else None for i, h in enumerate(header) if h} for row in records]
    header += [""] * (max(map(len, records), default=0) - len(header))  # cells right of the last header
    table = records_table(file, digest, rows_as_dicts, lines)
    table.notes = blank_rows_note(blank, "row") + headerless_notes(header, records, lines)
    return table
