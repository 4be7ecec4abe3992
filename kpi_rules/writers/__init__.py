"""What leaves the program: results by format name, atomic files, validation reports.

A new results format is one module here and one entry in WRITERS; the CLI's `--format`
choices (and the service's download formats) come from its keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kpi_rules.writers.results_csv import write_csv
from kpi_rules.writers.results_json import write_json


@dataclass(frozen=True)
class Writer:
    """Writes a whole evaluation to an open file: bytes if `binary`, else text."""

    write: Callable[..., Any]
    binary: bool
    media_type: str


WRITERS: dict[str, Writer] = {
    "json": Writer(write_json, binary=True, media_type="application/json"),
    "csv": Writer(write_csv, binary=False, media_type="text/csv; charset=utf-8"),
}

__all__ = ["WRITERS", "Writer"]
