"""The employee table of an evaluation page (filter, sort, a page of rows), its grade chart, and the
periods a data file holds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kpi_rules.data.several import read_sources
from kpi_rules.report.charts import bar_chart

PAGE_SIZE = 50
SORTS = ("employee_id", "name", "team", "role", "grade", "final", "status")
FILTERS = ("team", "role", "grade", "status")


def _key(field: str, row: dict[str, Any]) -> tuple[int, Any]:
    value = row.get(field)
    if value is None:
        return (1, "")
    return (0, value if isinstance(value, (int, float)) else str(value))


def table_view(rows: list[dict[str, Any]], query: Mapping[str, str]) -> dict[str, Any]:
    """The rows the query's filters let through, sorted, one page of them, and each filter's choices."""
    chosen = {f: query.get(f, "") for f in FILTERS}
    choices = {f: sorted({str(r.get(f)) for r in rows if r.get(f) is not None}) for f in FILTERS}
    shown = [r for r in rows if all(not v or str(r.get(f)) == v for f, v in chosen.items())]
    sort = query.get("sort", "")
    sort = sort if sort in SORTS else ""
    descending = query.get("dir") == "desc"
    if sort:
        shown.sort(key=lambda r: _key(sort, r), reverse=descending)
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    try:
        number = min(max(int(query.get("page", "1")), 1), pages)
    except ValueError:
        number = 1
    base = {f: v for f, v in chosen.items() if v}
    if sort:
        base.update(sort=sort, dir="desc" if descending else "asc")
    return {"rows": shown[(number - 1) * PAGE_SIZE:number * PAGE_SIZE], "total": len(shown), "page": number,
            "pages": pages, "filters": chosen, "choices": choices, "sort": sort, "descending": descending,
            "base": base}


def chart(grades: Mapping[str, int], finals: Mapping[str, float]) -> dict[str, Any]:
    """The grade distribution as bars, best grade first (by its members' mean final score)."""
    order = sorted(grades, key=lambda g: (-finals.get(g, 0.0), g))
    return bar_chart([(g, grades[g], g) for g in order], "count")


def periods_in(raw: bytes, name: str) -> list[str]:
    """The values of the file's `period` column, in the order they first appear."""
    try:
        table = read_sources([(name, raw)])
    except Exception as exc:  # a reader's error, said in its words
        raise ValueError(str(exc)) from exc
    column = table.columns.get("period") or []
    return list(dict.fromkeys(str(v) for v in column if v not in (None, "")))
