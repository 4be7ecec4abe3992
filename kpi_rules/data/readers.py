"""Read a data file into raw columns, choosing the reader by the file's extension:
CSV, JSON, JSON lines, YAML, XLSX."""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Callable
from pathlib import Path

from kpi_rules.common.perf import no_gc_pauses
from kpi_rules.data.csvbytes import LazyColumns, plain_csv
from kpi_rules.data.encodings import UTF8, decode_text
from kpi_rules.data.raw import MAX_CELL, DataFileError, RawTable, check_header, option
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


def format_of(name: str) -> str | None:
    """The format name a file's extension stands for (`.yml` -> `yaml`), or None."""
    return EXTENSIONS.get(Path(name).suffix.lower())


def read_table(path: str | Path, encoding: str | None = None, sheet: str | None = None,
               fmt: str | None = None, header_row: int = 1) -> RawTable:
    """Read a data file; its format from `fmt` (a name of FORMATS) or else its extension."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataFileError(f"{path}: cannot be read: {exc.strerror}") from exc
    return read_bytes(raw, str(path), fmt=fmt, encoding=encoding, sheet=sheet, header_row=header_row)


def read_bytes(raw: bytes, file: str, *, fmt: str | None = None, encoding: str | None = None,
               sheet: str | None = None, header_row: int = 1) -> RawTable:
    """Read a data file's bytes held in memory (an upload, standard input). `file` names it in
    messages and results; the format is `fmt`, or else `file`'s extension. `encoding` as people
    write it (`ansi`, `latin-1`, `gbk`, `utf8`), else chosen from the bytes (see encodings.py);
    `header_row`: the row of a CSV file or sheet that holds the column names (a title above)."""
    fmt = fmt or format_of(file)
    if fmt not in FORMATS:
        known = ", ".join(FORMATS)
        if fmt is None:
            suffix = Path(file).suffix.lower()
            what = f"unknown data format {suffix!r}" if suffix else "unknown data format (the name has no extension)"
            raise DataFileError(f"{file}: {what}; use .csv, .json, .jsonl, .yaml or .xlsx, "
                                f"or say which with --data-format {'|'.join(FORMATS)}")
        raise DataFileError(f"{file}: unknown data format {fmt!r}; the formats are {known}")
    if header_row < 1:
        raise DataFileError(f"{file}: {option('header_row', header_row)}: rows are counted from 1")
    if header_row != 1 and fmt not in ("csv", "xlsx"):
        raise DataFileError(f"{file}: {option('header_row')} is for CSV files and Excel workbooks; "
                            f"a {fmt} file names its fields in each record")
    digest = hashlib.sha256(raw).hexdigest()
    if fmt == "xlsx":
        return read_xlsx(raw, file, digest, sheet, header_row)
    if fmt == "csv" and encoding is None and header_row == 1 and _is_utf8(raw):
        # read from the bytes without ever holding the whole text (a 1M-row file: ~300 MB of str)
        bom = raw.startswith(b"\xef\xbb\xbf")
        plain = plain_csv(raw[3:] if bom else raw, MAX_CELL)
        if plain is not None:
            header, cells = plain
            check_header(file, header)
            return RawTable(file, digest, header, LazyColumns(header, cells), list(range(2, cells.n + 2)),
                            encoding="utf-8-sig" if bom else "utf-8")
    text, used, note = decode_text(raw, file, encoding)
    if fmt == "csv" and used in UTF8 and header_row == 1 and encoding is not None:  # --encoding utf8
        plain = plain_csv(raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw, MAX_CELL)
        if plain is not None:
            header, cells = plain
            check_header(file, header)
            return RawTable(file, digest, header, LazyColumns(header, cells), list(range(2, cells.n + 2)),
                            encoding=used)
    with no_gc_pauses():
        table = read_csv(text, file, digest, header_row) if fmt == "csv" else TEXT_READERS[fmt](text, file, digest)
    table.encoding = used
    if note:
        table.notes.insert(0, note)
    return table


def _is_utf8(raw: bytes) -> bool:
    """Whether the bytes are UTF-8 (a byte order mark allowed), checked a piece at a time so that
    the whole text is never held; not UTF-16 with its byte order mark."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if raw.isascii():
        return True
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(raw)
    try:
        for lo in range(0, len(raw), 1 << 23):
            decoder.decode(view[lo:lo + (1 << 23)], final=lo + (1 << 23) >= len(raw))
    except UnicodeDecodeError:
        return False
    return True
