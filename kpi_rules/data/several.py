"""The data of one evaluation: one file, several (`--data q1.csv --data q2.csv`, read as one
table whose rows say which file they come from), or bytes held in memory (standard input)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kpi_rules.data.raw import DataFileError, RawTable, Source, option
from kpi_rules.data.readers import read_bytes
from kpi_rules.results.reasons import Reason

# A data file: its path, or (the name it goes by, its bytes) for data held in memory.
DataSource = str | Path | tuple[str, bytes]


def read_sources(sources: Sequence[DataSource], *, fmt: str | None = None, encoding: str | None = None,
                 sheet: str | None = None, header_row: int | Sequence[int] = 1,
                 columns: Mapping[str, str] | None = None) -> RawTable:
    """Read every file, rename its columns (`columns`: NAME -> HEADER) and give one table; a file
    without rows is an error (a header alone is not a period's data). `header_row`: the row of
    the column names in every file, or one per file in order (a title above them in some)."""
    if not sources:
        raise DataFileError("no data file given")
    rows = [header_row] * len(sources) if isinstance(header_row, int) else list(header_row)
    if len(rows) == 1:
        rows *= len(sources)
    if len(rows) != len(sources):
        raise DataFileError(f"{len(rows)} header rows for {len(sources)} data files: give one for every file, "
                            "or one per file in the same order")
    tables = []
    whole = hashlib.sha256()
    for source, row in zip(sources, rows):
        name, raw = source if isinstance(source, tuple) else (str(source), _read(Path(source)))
        whole.update(raw)
        try:
            table = read_bytes(raw, name, fmt=fmt, encoding=encoding, sheet=sheet, header_row=row)
        except DataFileError as exc:
            if row == 1 or exc.names("header_row"):
                raise
            raise DataFileError(f"{exc.message}; {option('header_row', row)} reads the column names of {name} "
                                f"from its row {row}: is that the row that holds them?") from exc
        mapping = dict(columns or {})
        if len(sources) > 1:  # a file that already names the column NAME needs no renaming
            mapping = {k: v for k, v in mapping.items() if v in table.columns or k not in table.columns}
        table.rename(mapping)
        if not table.n:
            kind = "record" if fmt in ("json", "jsonl", "yaml") or name.endswith((".json", ".jsonl", ".yaml",
                                                                                  ".yml")) else "row"
            raise DataFileError(f"{name}: no rows: the file holds no {kind} below its header to evaluate; "
                                "is it the right file, saved after the data was entered?")
        tables.append(table)
    return tables[0] if len(tables) == 1 else combine(tables, whole.hexdigest())


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataFileError(f"{path}: cannot be read: {exc.strerror}") from exc


def combine(tables: Sequence[RawTable], sha256: str) -> RawTable:
    """Several tables as one: the columns of all (a column one file lacks is empty in its rows),
    the rows in order; `sha256` is that of the files' bytes one after another."""
    header: list[str] = []
    for table in tables:
        header += [h for h in table.header if h not in header]
    columns: dict[str, list[Any]] = {name: [] for name in header}
    texts: dict[str, list[Any]] = {name: [] for name in header if any(name in t.texts for t in tables)}
    lines: list[int] = []
    errors: dict[int, list[str]] = {}
    notes: list[str] = []
    for table in tables:
        for name in header:
            cells = table.columns[name] if name in table.columns else [None] * table.n
            columns[name] += cells
            if name in texts:
                texts[name] += table.texts.get(name) or cells
        name_of = Path(table.file).name
        errors.update({len(lines) + i: [_in_file(reason, name_of) for reason in reasons]
                       for i, reasons in table.row_errors.items()})
        lines += table.lines
        notes += [f"{Path(table.file).name}: {note}" for note in table.notes]
    names = [Path(t.file).name for t in tables]
    encodings = {t.encoding for t in tables}
    return RawTable(", ".join(names), sha256, header, columns, lines, errors,
                    encoding=encodings.pop() if len(encodings) == 1 else "", notes=notes, texts=texts,
                    sources=[Source(name, t.sha256, t.n, tuple(t.header)) for name, t in zip(names, tables)])


def _in_file(reason: str, file: str) -> str:
    """A reader's row error with its line said as `q2.csv:5`."""
    if isinstance(reason, Reason) and "line" in reason.params:
        return Reason(reason.code, **{**reason.params, "line": f"{file}:{reason.params['line']}"})
    return reason
