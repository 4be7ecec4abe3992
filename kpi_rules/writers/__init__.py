"""What leaves the program: results by format name, atomic files, validation reports.

A new results format is one module here and one entry in WRITERS; the CLI's `--format`
choices (and the service's download formats) come from its keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from kpi_rules.engine import Evaluation
from kpi_rules.writers.results_csv import write_csv
from kpi_rules.writers.results_json import write_json

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Writer:
    """Writes a whole evaluation to an open file: bytes if `binary`, else text."""

    write: Callable[..., Any]
    binary: bool
    media_type: str
    terminal: bool = True  # may be written to a terminal (text, or JSON's UTF-8)


def _write_xlsx(ev: Evaluation, out: BinaryIO | str) -> None:
    """results_xlsx.write_xlsx, imported when a workbook is written: xlsxwriter is a large import
    that no other format needs."""
    from kpi_rules.writers.results_xlsx import write_xlsx

    write_xlsx(ev, out)


WRITERS: dict[str, Writer] = {
    "json": Writer(write_json, binary=True, media_type="application/json"),
    "csv": Writer(write_csv, binary=False, media_type="text/csv; charset=utf-8"),
    # a workbook is not for a terminal: written to a file (--out) or a pipe
    "xlsx": Writer(_write_xlsx, binary=True, media_type=XLSX_MEDIA_TYPE, terminal=False),
}

__all__ = ["WRITERS", "Writer"]
