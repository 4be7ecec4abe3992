"""The run form's "More options": how to read the data file (header row, sheet, encoding, column
mappings), passed to the /v1 upload as its query parameters and used to read the file's periods."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kpi_rules.serve.web import i18n

# what the page says after the service's message, when the fix is a field under More options
HINTS = (("header_row=", "Set Header row under More options to the row that holds the column names."),
         ("column=", "Fill Column mappings under More options: one NAME=HEADER per line."))


@dataclass(frozen=True)
class RunOptions:
    header_row: int = 1
    sheet: str = ""
    encoding: str = ""  # "": found from the file
    columns: str = ""  # the textarea: one NAME=HEADER per line

    def lines(self) -> list[str]:
        return [line.strip() for line in self.columns.splitlines() if line.strip()]

    def query(self) -> dict[str, Any]:
        """The /v1 upload's query parameters (those left at their default are not sent)."""
        query: dict[str, Any] = {}
        if self.header_row != 1:
            query["header_row"] = self.header_row
        if self.sheet.strip():
            query["sheet"] = self.sheet.strip()
        if self.encoding.strip():
            query["encoding"] = self.encoding.strip()
        if self.lines():
            query["column"] = self.lines()
        return query

    def mapping(self) -> dict[str, str]:
        """NAME -> HEADER as the service reads `column=`; ValueError in its words for a line that is not."""
        found = {}
        for line in self.lines():
            name, sep, header = line.partition("=")
            if not sep or not name.strip() or not header.strip():
                raise ValueError(f"column={line!r}: write it as NAME=HEADER, e.g. employee_id=工号")
            found[name.strip()] = header.strip()
        return found


def with_hint(lang: str, detail: str) -> str:
    """The service's message, and where on the run form to fix it when that is an option there."""
    hints = [i18n.translate(lang, hint) for said, hint in HINTS if said in detail]
    return " — ".join([detail, " ".join(hints)]) if hints else detail


def options_of(header_row: str, sheet: str, encoding: str, columns: str) -> RunOptions:
    """The form's fields; ValueError for a header row that is not a whole number from 1."""
    text = header_row.strip() or "1"
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"header_row={text}: rows are counted from 1")
    return RunOptions(int(text), sheet, encoding, columns)
