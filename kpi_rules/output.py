"""Results as JSON and CSV text, and atomic file writing."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import orjson

from .csvrows import csv_rows
from .engine import Evaluation
from .jsonrows import encode_rows
from .perf import no_gc_pauses

CSV_FIELDS = ["employee_id", "name", "role", "team", "period", "status", "individual", "team_score", "bonus",
              "deduction", "coefficient_team", "final", "grade", "grade_before_distribution", "pay_coefficient",
              "veto", "bonuses", "deductions", "reasons"]
CHUNK_ROWS = 10_000


def _header(ev: Evaluation) -> dict[str, Any]:
    """Everything in the results document but the employee rows."""
    from . import __version__

    res = ev.result
    return {
        "kpi_rules": {"version": __version__},
        "policy": {"id": ev.policy.id, "title": ev.policy.title, "version": ev.policy.version,
                   "sha256": ev.policy.sha256, "locale": ev.policy.locale},
        "data": {"file": Path(ev.table.file).name, "sha256": ev.table.sha256, "rows": ev.table.n,
                 "other_periods": ev.other_periods, "notes": ev.table.notes},
        "period": ev.period,
        "kind": ev.kind,
        "teams": res.teams,
        "distribution": res.distribution,
        "summary": res.summary(),
    }


def evaluation_to_dict(ev: Evaluation) -> dict[str, Any]:
    """The results document of POLICY_FORMAT section 3, as Python values."""
    return {**_header(ev), "employees": ev.result.employees()}


def write_json(ev: Evaluation, out: BinaryIO) -> None:
    """Sorted keys, one employee per line: byte-identical for identical input, and diffable.

    Rows are encoded and written a slice at a time, so memory stays bounded for a million
    rows, column by column (jsonrows: the same bytes as the rows' dicts, several times faster)."""
    with no_gc_pauses():
        header = _header(ev)
        keys = sorted([*header, "employees"])
        out.write(b"{\n")
        for k, key in enumerate(keys):
            out.write(f'"{key}": '.encode())
            if key != "employees":
                out.write(orjson.dumps(header[key], option=orjson.OPT_SORT_KEYS))
            else:
                out.write(b"[")
                res = ev.result
                for start in range(0, res.n, CHUNK_ROWS):
                    out.write(b"\n" if start == 0 else b",\n")
                    out.write(b",\n".join(encode_rows(res, start, start + CHUNK_ROWS)))
                out.write(b"\n]" if res.n else b"]")
            out.write(b",\n" if k < len(keys) - 1 else b"\n")
        out.write(b"}\n")


def to_json(ev: Evaluation) -> str:
    buffer = io.BytesIO()
    write_json(ev, buffer)
    return buffer.getvalue().decode()


def write_csv(ev: Evaluation, out: TextIO) -> None:
    """One row per employee; indicator scores in `score_<id>` columns (see csvrows)."""
    res = ev.result
    indicator_ids = [ind.id for ind in ev.policy.indicators if res.indicators.get(ind.id) is not None
                     and res.indicators[ind.id].applies.any()]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS + [f"score_{i}" for i in indicator_ids])
    with no_gc_pauses():
        for start in range(0, res.n, CHUNK_ROWS):
            writer.writerows(csv_rows(res, start, start + CHUNK_ROWS, indicator_ids))


def to_csv(ev: Evaluation) -> str:
    buffer = io.StringIO()
    write_csv(ev, buffer)
    return buffer.getvalue()


@contextmanager
def atomic_writer(path: Path, binary: bool = False) -> Iterator[Any]:
    """A file handle whose content appears at `path` only when the block completes:
    written to a temporary file beside it, then renamed. Never a half-written report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a report is an ordinary file
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")) as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` atomically (see atomic_writer)."""
    with atomic_writer(path) as handle:
        handle.write(text)
