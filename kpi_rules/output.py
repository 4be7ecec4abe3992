"""Results as JSON and CSV text, and atomic file writing."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .engine import Evaluation
from .perf import no_gc_pauses

CSV_FIELDS = ["employee_id", "name", "role", "team", "period", "status", "individual", "team_score", "bonus",
              "deduction", "coefficient_team", "final", "grade", "grade_before_distribution", "pay_coefficient",
              "veto", "bonuses", "deductions", "reasons"]
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def evaluation_to_dict(ev: Evaluation) -> dict[str, Any]:
    from . import __version__

    res = ev.result
    employees = res.employees()
    return {
        "kpi_rules": {"version": __version__},
        "policy": {"id": ev.policy.id, "title": ev.policy.title, "version": ev.policy.version,
                   "sha256": ev.policy.sha256, "locale": ev.policy.locale},
        "data": {"file": Path(ev.table.file).name, "sha256": ev.table.sha256, "rows": ev.table.n,
                 "other_periods": ev.other_periods, "notes": ev.table.notes},
        "period": ev.period,
        "kind": ev.kind,
        "employees": employees,
        "teams": res.teams,
        "distribution": res.distribution,
        "summary": res.summary(),
    }


def to_json(ev: Evaluation) -> str:
    with no_gc_pauses():
        return _to_json(ev)


def _to_json(ev: Evaluation) -> str:
    """Sorted keys, one employee per line: byte-identical for identical input, diffable, and
    written by json's C encoder (an indented dump would be ten times slower)."""
    doc = evaluation_to_dict(ev)
    employees = doc.pop("employees")
    dump = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(", ", ": ")).encode
    parts = [f'"{key}": {dump(value)}' for key, value in sorted(doc.items())]
    rows = ",\n".join(dump(e) for e in employees)
    parts.insert(sorted([*doc, "employees"]).index("employees"), f'"employees": [\n{rows}\n]')
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value  # spreadsheet formula injection
    return value


def to_csv(ev: Evaluation) -> str:
    res = ev.result
    indicator_ids = [ind.id for ind in ev.policy.indicators if res.indicators.get(ind.id) is not None
                     and res.indicators[ind.id].applies.any()]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS + [f"score_{i}" for i in indicator_ids])
    for i in range(res.n):
        row = res.employee(i)
        scores = [row["indicators"].get(ind, {}).get("score") for ind in indicator_ids]
        writer.writerow([_cell(row.get(f)) for f in CSV_FIELDS] + [_cell(s) for s in scores])
    return buffer.getvalue()


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename: never a half-written report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a report is an ordinary file
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
