"""Read a data file into raw columns, choosing the reader by the file's extension:
CSV, JSON, JSON lines, YAML, XLSX."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from kpi_rules.common.perf import no_gc_pauses
from kpi_rules.data.csvbytes import LazyColumns, plain_csv
from kpi_rules.data.raw import MAX_CELL, DataFileError, RawTable, check_header, decode_text
from kpi_rules.data.read_csv import read_csv
from kpi_rules.data.read_json import read_json, read_jsonl
from kpi_rules.data.read_xlsx import read_xlsx
from kpi_rules.data.read_yaml import read_yaml

TextReader = Callable[[str, str, str], RawTable]

# Readers by format name; a new format is one module and one line here.
TEXT_READERS: dict[str, TextReader] = {"csv": read_csv, "json": read_json, "jsonl": read_jsonl, "yaml": read_yaml}
FORMATS = ("csv", "json", "jsonl", "yaml", "xlsx")
EXTENSIONS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".yaml": "yaml",
              ".yml": "yaml", ".xlsx": "xlsx", ".xlsm": "xlsx"}


def read_table(path: str | Path, encoding: str | None = None, sheet: str | None = None) -> RawTable:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataFileError(f"{path}: cannot be read: {exc.strerror}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise DataFileError(f"{path}: unknown data format {path.suffix.lower()!r}; "
                            "use .csv, .json, .jsonl, .yaml or .xlsx")
    if fmt == "xlsx":
        return read_xlsx(raw, str(path), digest, sheet)
    text, used = decode_text(raw, str(path), encoding)
    if fmt == "csv" and used in ("utf-8", "utf-8-sig"):
        plain = plain_csv(raw[3:] if used == "utf-8-sig" else raw, MAX_CELL)
        if plain is not None:
            header, cells = plain
            check_header(str(path), header)
            return RawTable(str(path), digest, header, LazyColumns(header, cells), list(range(2, cells.n + 2)),
                            encoding=used)
    with no_gc_pauses():
        table = TEXT_READERS[fmt](text, str(path), digest)
    table.encoding = used
    if used == "gb18030" and not encoding:
        # Any bytes read as GB18030, so a file saved in another encoding (Latin-1: Müller) would
        # come out as Chinese characters without a word: say which encoding was chosen.
        table.notes.append("the file is not UTF-8 and was read as GB18030 (as Chinese Excel saves CSV); "
                           "if names look wrong, save it as UTF-8 or pass --encoding")
    return table
