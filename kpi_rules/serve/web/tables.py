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
KEEP_FILTERED = 16


def _key(field: str, row: dict[str, Any]) -> tuple[int, Any]:
    value = row.get(field)
    if value is None:
        return (1, "")
    return (0, value if isinstance(value, (int, float)) else str(value))


def _sorted(rows: list[dict[str, Any]], field: str, descending: bool) -> list[dict[str, Any]]:
    """The rows by `field`, rows without it last either way."""
    present = sorted((r for r in rows if r.get(field) is not None), key=lambda r: _key(field, r),
                     reverse=descending)
    return present + [r for r in rows if r.get(field) is None]


class Table:
    """An evaluation's rows with what every page of them needs computed once: each filter's choices,
    and each sort order (made when first asked for)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows  # filter fields hold text (or None), as index.py makes them
        self.choices = {f: sorted({str(r.get(f)) for r in rows if r.get(f) is not None}) for f in FILTERS}
        self._orders: dict[tuple[str, bool], list[dict[str, Any]]] = {}
        self._filtered: dict[tuple[str, bool, tuple[tuple[str, str], ...]], list[dict[str, Any]]] = {}

    def ordered(self, field: str, descending: bool) -> list[dict[str, Any]]:
        """The rows by `field`, rows without it last either way."""
        if (field, descending) not in self._orders:
            self._orders[(field, descending)] = _sorted(self.rows, field, descending)
        return self._orders[(field, descending)]

    def filtered(self, sort: str, descending: bool, active: tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
        """The rows in this order that every active filter lets through (the last few kept)."""
        key = (sort, descending, active)
        found = self._filtered.get(key)
        if found is None:
            found = self.rows
            for field, value in active:  # each pass one plain comparison: fast on 100k rows
                found = [r for r in found if r[field] == value]
            if sort:
                found = _sorted(found, sort, descending) if active else self.ordered(sort, descending)
            self._filtered[key] = found
            while len(self._filtered) > KEEP_FILTERED:
                self._filtered.pop(next(iter(self._filtered)))
        return found


def table_view(table: Table, query: Mapping[str, str]) -> dict[str, Any]:
    """The rows the query's filters let through, sorted, one page of them, and each filter's choices."""
    chosen = {f: query.get(f, "") for f in FILTERS}
    sort = query.get("sort", "")
    sort = sort if sort in SORTS else ""
    descending = query.get("dir") == "desc"
    shown = table.filtered(sort, descending, tuple((f, v) for f, v in chosen.items() if v))
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    try:
        number = min(max(int(query.get("page", "1")), 1), pages)
    except ValueError:
        number = 1
    page_rows = shown[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]
    base = {f: v for f, v in chosen.items() if v}
    if sort:
        base.update(sort=sort, dir="desc" if descending else "asc")
    return {"rows": page_rows, "total": len(shown), "page": number, "pages": pages, "filters": chosen,
            "choices": table.choices, "sort": sort, "descending": descending, "base": base}


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
