"""A roll-up's per-employee period breakdown, kept as columns of its periods' rows.

Each employee's breakdown is a dict of dicts (`{"2024-Q1": {"status", "line", ["file"], "final",
"grade"}, ...}`); an annual review of 25k people would make 125k of them while evaluating, which
costs more than evaluating the four quarters. They are made when read instead, as RowNotes does
for reasons."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property
from itertools import pairwise
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from kpi_rules.results.shown import shown_column

Entry = dict[str, dict[str, Any]]
CHUNK = 2_500  # employees made at a time when iterating


class PartRows:
    """The rows of a roll-up's periods, in chronological order: their status and final (the
    roll-up needs them), and each period's lines, files and grades, put together only when a
    breakdown is first read."""

    def __init__(self, labels: list[str], part: npt.NDArray[np.intp], status: npt.NDArray[Any],
                 final: npt.NDArray[np.float64], decimals: int, lines: list[list[int]], files: list[list[str]],
                 grades: list[npt.NDArray[Any]]) -> None:
        self.labels = labels  # each period's name
        self.part = part  # each row's period, an index into labels
        self.status, self.final, self.decimals = status, final, decimals
        self._lines, self._files, self._grades = lines, files, grades  # per period ([]: one data file)

    @cached_property
    def lines(self) -> npt.NDArray[np.int64]:
        return np.concatenate([np.asarray(lines, dtype=np.int64) for lines in self._lines])

    @cached_property
    def files(self) -> list[str | None] | None:
        """Each row's data file (None: one data file, or a period without files)."""
        if not any(self._files):
            return None
        return [name for files, lines in zip(self._files, self._lines)
                for name in (files or [None] * len(lines))]  # type: ignore[list-item]

    @cached_property
    def grade(self) -> npt.NDArray[Any]:
        return np.concatenate(self._grades)


class PeriodBreakdown:
    """Behaves like a list of n dicts, one per employee of the roll-up: `breakdown[k]` is employee
    k's (made on first use and kept, so changing it changes the result, as with a list).
    Iterating and `rows()` hand out the ones kept, and new ones for the others without keeping
    them. Employee k's rows of `rows` are `order[bounds[k]:bounds[k + 1]]`; `made` holds the
    breakdowns computed one by one (an employee with a period not rated, twice in a period, ...)."""

    def __init__(self, n: int = 0, rows: PartRows | None = None, order: npt.NDArray[np.intp] | None = None,
                 bounds: npt.NDArray[np.intp] | None = None, made: dict[int, Entry] | None = None) -> None:
        self.n = n
        self._rows = rows
        self._order = order if order is not None else np.zeros(0, dtype=np.intp)
        self._bounds = bounds if bounds is not None else np.zeros(n + 1, dtype=np.intp)
        self._made: dict[int, Entry] = made if made is not None else {}

    @classmethod
    def of(cls, entries: Sequence[Entry]) -> PeriodBreakdown:
        """From a list of dicts (kept as they are)."""
        return cls(len(entries), made=dict(enumerate(entries)))

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, k: int) -> Entry: ...

    @overload
    def __getitem__(self, k: slice) -> list[Entry]: ...

    def __getitem__(self, k: int | slice) -> Entry | list[Entry]:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(self.n))]
        i = self._index(k)
        entry = self._made.get(i)
        if entry is None:
            entry = self._made[i] = self._make(i, i + 1)[0]
        return entry

    def __setitem__(self, k: int, entry: Entry) -> None:
        self._made[self._index(k)] = entry

    def __iter__(self) -> Iterator[Entry]:
        for start in range(0, self.n, CHUNK):
            yield from self.rows(start, start + CHUNK)

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, (PeriodBreakdown, list)) else NotImplemented

    def __repr__(self) -> str:
        return f"PeriodBreakdown({list(self)!r})"

    def _index(self, k: int) -> int:
        i = int(k) + (self.n if int(k) < 0 else 0)
        if not 0 <= i < self.n:
            raise IndexError(k)
        return i

    def rows(self, start: int = 0, stop: int | None = None, copies: bool = False) -> list[Entry]:
        """Employees start..stop-1: the breakdowns kept, new ones for the others (not kept);
        `copies`: copies of the kept ones too, so that all are the caller's."""
        stop = self.n if stop is None else min(stop, self.n)
        out = self._make(start, stop)
        for i, entry in self._made.items():
            if start <= i < stop:
                out[i - start] = {p: dict(e) for p, e in entry.items()} if copies else entry
        return out

    def _make(self, start: int, stop: int) -> list[Entry]:
        rows = self._rows
        if rows is None or start >= stop:
            return [{} for _ in range(max(stop - start, 0))]
        lo, hi = int(self._bounds[start]), int(self._bounds[stop])
        which = self._order[lo:hi]
        labels = [rows.labels[p] for p in rows.part[which].tolist()]
        cells = zip(rows.status[which].tolist(), rows.lines[which].tolist(),
                    shown_column(rows.final[which], rows.decimals), rows.grade[which].tolist())
        if rows.files is None:
            entries = [{"status": s, "line": line, "final": v, "grade": g} for s, line, v, g in cells]
        else:
            files = [rows.files[r] for r in which.tolist()]
            entries = [{"status": s, "line": line, **({"file": f} if f is not None else {}), "final": v, "grade": g}
                       for (s, line, v, g), f in zip(cells, files)]
        pairs = list(zip(labels, entries))
        edges = (self._bounds[start:stop + 1] - lo).tolist()
        return [dict(pairs[a:b]) for a, b in pairwise(edges)]

    def _unmade(self) -> npt.NDArray[np.bool_]:
        """Which rows belong to employees whose breakdown is not kept."""
        assert self._rows is not None
        keep = np.ones(self.n, dtype=bool)
        keep[list(self._made)] = False
        out = np.zeros(len(self._rows.part), dtype=bool)
        out[self._order] = np.repeat(keep, np.diff(self._bounds))
        return out

    def labels(self) -> list[str]:
        """Every period named in some employee's breakdown: the roll-up's periods in order, then any other."""
        seen: dict[str, None] = {}
        if self._rows is not None:
            present = np.unique(self._rows.part[self._unmade()])
            seen.update(dict.fromkeys(self._rows.labels[p] for p in present.tolist()))
        for entry in self._made.values():
            seen.update(dict.fromkeys(entry))
        return list(seen)

    def count(self, status: str) -> int:
        """Period entries with this status, over every employee."""
        total = sum(1 for entry in self._made.values() for e in entry.values() if e["status"] == status)
        if self._rows is not None:
            total += int(np.sum((self._rows.status == status) & self._unmade()))
        return total

    def troubled(self) -> set[int]:
        """The employees with some period not rated."""
        out = {i for i, entry in self._made.items() if any(e["status"] != "rated" for e in entry.values())}
        if self._rows is not None:
            bad = (self._rows.status != "rated") & self._unmade()
            employee = np.repeat(np.arange(self.n), np.diff(self._bounds))  # of order's rows
            out.update(np.unique(employee[bad[self._order]]).tolist())
        return out

    def take(self, employees: npt.NDArray[np.intp]) -> PeriodBreakdown:
        """The breakdowns of `employees` (ascending), renumbered 0..len-1; the kept ones shared."""
        if not self.n:  # not a roll-up
            return PeriodBreakdown()
        employees = np.asarray(employees, dtype=np.intp)
        where = {old: new for new, old in enumerate(employees.tolist())}
        made = {where[i]: entry for i, entry in self._made.items() if i in where}
        counts = np.diff(self._bounds)[employees]
        starts = self._bounds[:-1][employees]
        bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.intp)
        within = np.arange(int(bounds[-1]), dtype=np.intp) - np.repeat(bounds[:-1], counts)
        order = self._order[np.repeat(starts, counts) + within]
        return PeriodBreakdown(len(employees), self._rows, order, bounds, made)
