"""The employee table of an evaluation page (filter, sort, a page of rows) from its table index,
its grade chart, and the periods a data file holds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from kpi_rules.data.raw import DataFileError
from kpi_rules.data.several import read_sources
from kpi_rules.report.charts import bar_chart
from kpi_rules.serve.web.run_options import RunOptions

PAGE_SIZE = 50
SORTS = ("employee_id", "name", "team", "role", "grade", "final", "status")
FILTERS = ("team", "role", "grade", "status")
KEEP_FILTERED = 16
Active = tuple[tuple[str, str], ...]


class Table:
    """An evaluation's table index (storage/table_index.py: each field's values in order and each
    row's rank among them) with each sort order made when first asked for: a page of 100k rows,
    sorted and filtered, without a row's JSON."""

    def __init__(self, index: dict[str, Any]) -> None:
        fields = index["fields"]
        self.n = int(index["rows"])
        self.values: dict[str, list[Any]] = {f: fields[f]["values"] for f in SORTS}
        self.ranks = {f: np.asarray(fields[f]["ranks"], dtype=np.int64).reshape(self.n) for f in SORTS}
        self.choices = {f: [str(v) for v in self.values[f]] for f in FILTERS}  # in order, as text
        self._orders: dict[tuple[str, bool], npt.NDArray[np.int64]] = {}
        self._filtered: dict[tuple[str, bool, Active], npt.NDArray[np.int64]] = {}

    def ordered(self, field: str, descending: bool) -> npt.NDArray[np.int64]:
        """The rows by `field`, rows without it last either way, equal ones in the results' order."""
        if (field, descending) not in self._orders:
            rank = self.ranks[field]
            self._orders[(field, descending)] = np.lexsort((-rank if descending else rank, rank < 0))
        return self._orders[(field, descending)]

    def filtered(self, sort: str, descending: bool, active: Active) -> npt.NDArray[np.int64]:
        """The rows (positions) in this order that every active filter lets through (the last few kept)."""
        key = (sort, descending, active)
        found = self._filtered.get(key)
        if found is None:
            found = self.ordered(sort, descending) if sort else np.arange(self.n)
            if active:
                keep = np.ones(self.n, dtype=bool)
                for field, value in active:
                    choices = self.choices[field]
                    keep &= self.ranks[field] == (choices.index(value) if value in choices else -2)
                found = found[keep[found]]
            self._filtered[key] = found
            while len(self._filtered) > KEEP_FILTERED:
                self._filtered.pop(next(iter(self._filtered)))
        return found

    def rows(self, positions: npt.NDArray[np.int64]) -> list[dict[str, Any]]:
        """These rows' fields."""
        out = []
        for i in positions.tolist():
            row = {}
            for f in SORTS:
                rank = int(self.ranks[f][i])
                row[f] = self.values[f][rank] if rank >= 0 else None
            out.append(row)
        return out


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
    page_rows = table.rows(shown[(number - 1) * PAGE_SIZE:number * PAGE_SIZE])
    base = {f: v for f, v in chosen.items() if v}
    if sort:
        base.update(sort=sort, dir="desc" if descending else "asc")
    return {"rows": page_rows, "total": len(shown), "page": number, "pages": pages, "filters": chosen,
            "choices": table.choices, "sort": sort, "descending": descending, "base": base}


def chart(grades: Mapping[str, int], finals: Mapping[str, float]) -> dict[str, Any]:
    """The grade distribution as bars, best grade first (by its members' mean final score)."""
    order = sorted(grades, key=lambda g: (-finals.get(g, 0.0), g))
    return bar_chart([(g, grades[g], g) for g in order], "count")


def periods_in(raw: bytes, name: str, options: RunOptions | None = None) -> list[str]:
    """The values of the file's `period` column (the file read with the run form's options), in the
    order they first appear; ValueError saying why not, its options named as the service's request does."""
    options = options or RunOptions()
    mapping = options.mapping()  # a line that is not NAME=HEADER: ValueError, as the service says it
    try:
        table = read_sources([(name, raw)], encoding=options.encoding.strip() or None,
                             sheet=options.sheet.strip() or None, header_row=options.header_row,
                             columns=mapping)
    except DataFileError as exc:
        raise ValueError(exc.told("request")) from exc
    except Exception as exc:  # a reader's error, said in its words
        raise ValueError(str(exc)) from exc
    column = table.columns.get("period") or []
    return list(dict.fromkeys(str(v) for v in column if v not in (None, "")))
