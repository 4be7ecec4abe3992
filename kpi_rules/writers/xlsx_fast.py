"""Rows of a big table written straight into XlsxWriter's constant-memory row file.

XlsxWriter makes an object per cell and its XML attribute by attribute: about 4-5 µs a
cell, so the 10 million cells of 100,000 employees' long form would take most of a
minute. In constant-memory mode a sheet's rows go to a temporary file as `<row>` elements;
`RowStream` writes those elements itself, a row at a time, with XlsxWriter's own escaping
and style indexes, and leaves everything else (the package, styles, the sheet's
dimension, panes, autofilter, widths) to XlsxWriter. Only rows and cells are written here.

`RowStream.supported(sheet)` says whether the sheet has what this needs (the attributes
of XlsxWriter 3.x); the caller falls back to the per-cell API otherwise, and a test holds
both ways to the same workbook.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Sequence
from typing import Any

from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name

MAX_TEXT = 32_767
# Text that needs XlsxWriter's escaping: XML characters, control characters, its own _xHHHH_
# escapes, non-characters, or leading/trailing whitespace (kept with xml:space="preserve").
_NEEDS_CARE = re.compile("[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\\s|\\s$")
_NEEDED = ("fh", "previous_row", "constant_memory", "_write_single_row", "_check_dimensions",
           "_escape_control_characters", "_escape_data")


class RowStream:
    """Writes rows of values into one sheet: numbers as numbers (with the column's number
    format), everything else as inline text; None is no cell."""

    def __init__(self, sheet: Any, formats: Sequence[Any]) -> None:
        self.sheet = sheet
        self.letters = [xl_col_to_name(c) for c in range(len(formats))]
        self.styles = [f' s="{f._get_xf_index()}"' if f is not None else "" for f in formats]
        self.last_col = len(formats) - 1
        self._texts: dict[str, str] = {}  # text -> its escaped <is> element (names, teams, roles repeat)

    @staticmethod
    def supported(sheet: Any) -> bool:
        return all(hasattr(sheet, name) for name in _NEEDED) and bool(sheet.constant_memory)

    def _text(self, value: Any) -> str:
        text = value if type(value) is str else str(value)
        made = self._texts.get(text)
        if made is None:
            shown = text[:MAX_TEXT]
            space = ""
            if _NEEDS_CARE.search(shown):
                space = ' xml:space="preserve"' if _preserve_whitespace(shown) else ""
                shown = self.sheet._escape_data(self.sheet._escape_control_characters(shown))
            made = f'<is><t{space}>{shown}</t></is></c>'
            if len(self._texts) < 100_000:
                self._texts[text] = made
        return made

    def write(self, first_row: int, rows: Iterable[Sequence[Any]]) -> int:
        """Write rows from `first_row` on; returns the number written."""
        sheet, letters, styles, text = self.sheet, self.letters, self.styles, self._text
        sheet._write_single_row(first_row)  # flushes any row still held by the per-cell API
        write = sheet.fh.write
        row = first_row
        for values in rows:
            r = str(row + 1)
            parts = [f'<row r="{r}">']
            for col, value in enumerate(values):
                if value is None:
                    continue
                kind = type(value)
                if kind is str:
                    parts.append(f'<c r="{letters[col]}{r}"{styles[col]} t="inlineStr">{text(value)}')
                elif kind is float or kind is int or (kind is not bool and isinstance(value, numbers.Real)):
                    if math.isfinite(value):
                        parts.append(f'<c r="{letters[col]}{r}"{styles[col]}><v>{value:.16G}</v></c>')
                    else:
                        parts.append(f'<c r="{letters[col]}{r}"{styles[col]} t="e"><v>#NUM!</v></c>')
                else:
                    parts.append(f'<c r="{letters[col]}{r}"{styles[col]} t="inlineStr">{text(value)}')
            parts.append("</row>")
            write("".join(parts))
            row += 1
        if row > first_row:
            sheet._check_dimensions(first_row, 0)
            sheet._check_dimensions(row - 1, self.last_col)
            sheet.previous_row = row - 1
        return row - first_row
