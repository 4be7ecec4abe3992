"""The workbook's plumbing: an XlsxWriter workbook in constant-memory mode, its number
formats, and `Table`, a sheet with a frozen header row, an autofilter, readable column
widths and typed cells.

Every value is written with the method for its type: numbers with `write_number` (never
as text), text with `write_string` (never as a formula, whatever it begins with), and an
empty value is no cell at all. Constant-memory mode keeps one row per sheet in memory and
writes the rest to temporary files, so the memory used does not grow with the rows.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import chain, islice
from typing import Any, BinaryIO

import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from kpi_rules.writers.xlsx_fast import RowStream

MAX_ROWS = 1_048_576  # rows in an Excel sheet, the header row included
MAX_TEXT = 32_767  # characters in an Excel cell
MAX_WIDTH, MIN_WIDTH = 60, 6
WIDTH_SAMPLE = 2_000  # rows measured for a column's width
FAST_ROWS = True  # table rows through xlsx_fast.RowStream (False: XlsxWriter's per-cell API, as a test compares)

# Column kinds and the number format each is shown with (None: the General format).
TEXT, INT, SCORE, PERCENT, WEIGHT, NUMBER = "text", "int", "score", "percent", "weight", "number"
NUMBER_FORMATS: dict[str, str | None] = {INT: "0", SCORE: "0.00", PERCENT: "0.00%", WEIGHT: "0.0%", NUMBER: None}
# Widths of numbers as their format shows them, before the header is taken into account.
NUMBER_WIDTHS = {INT: 6, SCORE: 8, PERCENT: 9, WEIGHT: 7, NUMBER: 12}

FIXED_DATE = datetime(1980, 1, 1, tzinfo=timezone.utc)
OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,  # `=HYPERLINK(...)` in a name stays text
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "nan_inf_to_errors": True,  # an infinite value is a #NUM! cell, never an exception
}


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = TEXT


def text_width(text: str) -> int:
    """Characters a text takes on screen: East Asian wide characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class Book:
    """One workbook written to `out` (a path or a binary file), with the formats the sheets share."""

    def __init__(self, out: BinaryIO | str, title: str = "") -> None:
        self.workbook = xlsxwriter.Workbook(out, OPTIONS)
        # a fixed creation date (that of the zip entries): the same results give the same bytes
        self.workbook.set_properties({"title": title, "created": FIXED_DATE})
        add = self.workbook.add_format
        self.header = add({"bold": True, "bg_color": "#DDE4EE", "bottom": 1, "valign": "top"})
        # over a number column, aligned as its numbers are
        self.header_number = add({"bold": True, "bg_color": "#DDE4EE", "bottom": 1, "valign": "top",
                                  "align": "right"})
        self.title = add({"bold": True, "font_size": 14})
        self.bold = add({"bold": True})
        self.formats: dict[str, Format | None] = {
            kind: add({"num_format": fmt}) if fmt else None for kind, fmt in NUMBER_FORMATS.items()}
        self.formats[TEXT] = None

    def sheet(self, name: str) -> Worksheet:
        """A new sheet, printed landscape and one page wide."""
        sheet = self.workbook.add_worksheet(name[:31])
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        return sheet

    def close(self) -> None:
        """Assemble the file; a failed write is the OSError under XlsxWriter's own exception."""
        try:
            self.workbook.close()
        except FileCreateError as exc:
            cause = exc.args[0] if exc.args else None
            raise cause if isinstance(cause, OSError) else OSError(str(exc)) from exc


def write_text(sheet: Worksheet, row: int, col: int, value: Any, fmt: Format | None = None) -> None:
    """A text cell, whatever the text looks like: never a formula, a number or markup."""
    text = str(value)[:MAX_TEXT]
    if text.startswith("<r>") and text.endswith("</r>"):
        # XlsxWriter copies such a string into the file as rich-text markup (constant-memory
        # mode): plain fragments make it escape the text like any other.
        sheet.write_rich_string(row, col, text[:1], text[1:2], text[2:], *([fmt] if fmt else []))
    elif text:
        sheet.write_string(row, col, text, fmt)


def write_value(sheet: Worksheet, row: int, col: int, value: Any, fmt: Format | None = None) -> None:
    """A number as a number (bools too: they are not shown as numbers), anything else as text."""
    if value is None:
        return
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        sheet.write_number(row, col, value, fmt)
    else:
        write_text(sheet, row, col, value, fmt)


class Table:
    """A sheet of rows under one header row: frozen header, autofilter, column widths
    measured from the header and the first rows written."""

    def __init__(self, book: Book, name: str, columns: Sequence[Column], freeze_cols: int = 1) -> None:
        self.book, self.name, self.columns = book, name, list(columns)
        self.sheet = book.sheet(name)
        self.row = 0
        self.widths = [text_width(c.header) for c in self.columns]
        self.formats = [book.formats[c.kind] for c in self.columns]
        self.numeric = [c.kind != TEXT for c in self.columns]
        for col, column in enumerate(self.columns):
            self.sheet.write_string(0, col, column.header, book.header if column.kind == TEXT else book.header_number)
        self.sheet.freeze_panes(1, freeze_cols)
        self.row = 1
        self._sized = False
        self._stream: RowStream | None = None

    @property
    def rows_left(self) -> int:
        return MAX_ROWS - self.row

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        """Rows of values in column order; None leaves a cell empty. The first rows written
        set the column widths."""
        rows = iter(rows)
        if not self._sized:
            sample = list(islice(rows, WIDTH_SAMPLE))
            for values in sample:
                self._measure(values)
            self._set_widths()
            rows = chain(sample, rows)
        if FAST_ROWS and RowStream.supported(self.sheet):
            if self._stream is None:
                self._stream = RowStream(self.sheet, self.formats)
            self.row += self._stream.write(self.row, rows)
            return
        sheet, formats, numeric, row = self.sheet, self.formats, self.numeric, self.row
        for values in rows:
            for col, value in enumerate(values):
                if value is None:
                    continue
                if numeric[col] and type(value) in (int, float):
                    sheet.write_number(row, col, value, formats[col])
                else:
                    write_value(sheet, row, col, value, formats[col])
            row += 1
        self.row = row

    def _measure(self, values: Sequence[Any]) -> None:
        for col, value in enumerate(values):
            if value is None:
                continue
            kind = self.columns[col].kind
            width = NUMBER_WIDTHS[kind] if kind != TEXT and isinstance(value, (int, float)) else text_width(str(value))
            if width > self.widths[col]:
                self.widths[col] = width

    def _set_widths(self) -> None:
        if self._sized:
            return
        for col, width in enumerate(self.widths):
            self.sheet.set_column(col, col, max(MIN_WIDTH, min(MAX_WIDTH, width + 2)))
        self._sized = True

    def close(self) -> None:
        """The autofilter over the header and every row written."""
        self._set_widths()
        self.sheet.autofilter(0, 0, max(self.row - 1, 0), max(len(self.columns) - 1, 0))
