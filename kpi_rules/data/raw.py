"""What every reader returns: a file's cells as read, column by column, with the line each
row came from; and the errors a file that cannot be read at all raises.

No typing happens here (that is `table.py`); a reader only gets the cells out faithfully.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from kpi_rules.common.errors import KpiRulesError
from kpi_rules.data.csvbytes import FloatArray, LazyColumns
from kpi_rules.results.reasons import Reason

MAX_CELL = 10 * 1024 * 1024  # characters in one CSV cell (Python's csv stops at 131072)


Style = Literal["command line", "request"]
_OPTION = re.compile("\x00([a-z_]+)(=?)\x00")


def option(name: str, value: object = None) -> str:
    """A reader's option named in a DataFileError's message, e.g. `option("header_row", 2)`:
    `--header-row 2` as the command line gives it, `header_row=2` as a service request does."""
    return f"\x00{name}\x00" if value is None else f"\x00{name}=\x00{value}"


def told(message: str, style: Style) -> str:
    """The message with its options named in the style of the caller's user."""
    if style == "request":
        return _OPTION.sub(lambda m: f"{m[1]}=", message)
    return _OPTION.sub(lambda m: "--" + m[1].replace("_", "-") + (" " if m[2] else ""), message)


class DataFileError(KpiRulesError):
    """The data file cannot be read at all (not a row problem).

    The message names the reader's options with `option()`: `str()` and `told("command line")`
    name them as the command line does (`--header-row 2`), `told("request")` as the service's
    request does (`header_row=2`).
    """

    def __init__(self, message: str) -> None:
        super().__init__(told(message, "command line"))
        self.message = message

    def __reduce__(self) -> tuple[type[DataFileError], tuple[str]]:  # a worker process's error keeps its options
        return type(self), (self.message,)

    def names(self, name: str) -> bool:
        """Whether the message names the option `name` (e.g. "header_row")."""
        return any(m[1] == name for m in _OPTION.finditer(self.message))

    def told(self, style: Style) -> str:
        """The message naming the options the way the caller's user gives them."""
        return told(self.message, style)


@dataclass(frozen=True)
class Source:
    """One of several data files read as one table."""

    file: str
    sha256: str
    rows: int
    header: tuple[str, ...] = ()  # its own column names: each file is checked for the policy's columns


def where(lines: Sequence[int], sources: Sequence[Source], i: int) -> int | str:
    """Row i's line (an int), or `q2.csv:5` when the rows come from several files."""
    if not sources:
        return lines[i]
    first = 0
    for source in sources:
        if i < first + source.rows:
            return f"{source.file}:{lines[i]}"
        first += source.rows
    return lines[i]


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
    # Several files read as one (`--data q1.csv --data q2.csv`): each one's name, SHA-256 and
    # number of rows, in order; empty for a single file.
    sources: list[Source] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.lines)

    def where(self, i: int) -> int | str:
        """Where row i is, for messages: its line, with its file's name when several were read."""
        return where(self.lines, self.sources, i)

    def numbers(self, name: str) -> FloatArray | None:
        """The column as numbers, where the reader can tell every cell is a plain number or
        empty (see csvbytes); None: type its cells one by one."""
        return self.columns.numbers(name) if isinstance(self.columns, LazyColumns) else None

    def rename(self, mapping: dict[str, str]) -> None:
        """Use the file's column HEADER as NAME, for each NAME -> HEADER in `mapping`."""
        for name, header in mapping.items():
            if header not in self.columns:
                raise DataFileError(f"{self.file}: {option('column', f'{name}={header}')}: "
                                    f"there is no column `{header}`")
            if isinstance(self.columns, LazyColumns):
                self.columns.rename(header, name)
            else:
                self.columns[name] = self.columns.pop(header)
            if header in self.texts:
                self.texts[name] = self.texts.pop(header)
            self.header[self.header.index(header)] = name


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
    table = RawTable(file, digest, header, columns, lines, errors)
    escape_nul_cells(table)
    return table


NUL_SHOWN = "\\x00"  # how a NUL byte inside a cell is kept: visible, and harmless in every output


def escape_nul_cells(table: RawTable) -> None:
    """A NUL byte inside a cell (a bad export, a pasted control character) affects only its row:
    the row is an error naming the cell, and the cell is kept with the byte written `\\x00`,
    so every other row is evaluated and every output can be written."""
    for name, cells in table.columns.items():
        for i, value in enumerate(cells):
            if isinstance(value, str) and "\0" in value:
                cells[i] = value.replace("\0", NUL_SHOWN)
                table.row_errors.setdefault(i, []).append(Reason("nul_byte", column=name, line=table.lines[i]))


def headerless_notes(header: list[str], rows: Sequence[Sequence[Any]], lines: list[int]) -> list[str]:
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
