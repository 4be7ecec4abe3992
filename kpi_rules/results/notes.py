"""Per-row lists of text (reasons, errors, items that fired), stored only where
there are some: most rows have none, and a list per row per kind would cost
more than the whole computation at 100k rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

_NONE: list[str] = []


def _dense(sparse: dict[int, list[str]], n: int, start: int, stop: int | None) -> list[list[str]]:
    """A list per row start..stop-1 from {row - start: list}."""
    stop = n if stop is None else min(stop, n)
    return [sparse.get(i) or [] for i in range(stop - start)]


class RowNotes:
    """Behaves like a list of n lists: `notes[i]` is row i's list (made on first use)."""

    def __init__(self, n: int, notes: dict[int, list[str]] | None = None) -> None:
        self.n = n
        self._notes: dict[int, list[str]] = notes or {}

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: Any) -> list[str]:
        i = int(i)
        if not 0 <= i < self.n:
            raise IndexError(i)
        return self._notes.setdefault(i, [])

    def __iter__(self) -> Iterator[list[str]]:
        for i in range(self.n):
            yield self._notes.get(i, _NONE)

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, (RowNotes, list)) else NotImplemented

    def get(self, i: int) -> list[str]:
        """Row i's list without creating one; the shared empty list must not be changed."""
        return self._notes.get(i, _NONE)

    def add(self, rows: Iterable[Any], text: str) -> None:
        for i in rows:
            self[i].append(text)

    def sparse(self, start: int = 0, stop: int | None = None) -> dict[int, list[str]]:
        """{row - start: a copy of its list} for the rows start..stop-1 that have notes."""
        stop = self.n if stop is None else min(stop, self.n)
        return {i - start: list(notes) for i, notes in self._notes.items() if notes and start <= i < stop}

    def lists(self, start: int = 0, stop: int | None = None) -> list[list[str]]:
        """A new list per row start..stop-1 (copies)."""
        return _dense(self.sparse(start, stop), self.n, start, stop)

    def mask(self) -> npt.NDArray[np.bool_]:
        out = np.zeros(self.n, dtype=bool)
        out[[i for i, notes in self._notes.items() if notes]] = True
        return out

    def copy(self) -> RowNotes:
        return RowNotes(self.n, {i: list(v) for i, v in self._notes.items() if v})

    def take(self, rows: npt.NDArray[np.intp]) -> RowNotes:
        """The notes of `rows` (ascending row numbers), renumbered 0..len(rows)-1 (copies)."""
        noted = np.array(sorted(i for i, v in self._notes.items() if v), dtype=np.intp)
        out = RowNotes(len(rows))
        if not len(noted) or not len(rows):
            return out
        where = np.searchsorted(rows, noted)
        for i, k in zip(noted.tolist(), where.tolist()):
            if k < len(rows) and rows[k] == i:
                out._notes[k] = list(self._notes[i])
        return out


class FiredItems:
    """Which items (bonuses, suggestions...) fired for each row, kept as one mask per item;
    reads like a list of n lists of item ids."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.items: list[tuple[str, npt.NDArray[np.bool_]]] = []

    def record(self, item: str, fires: npt.NDArray[np.bool_]) -> None:
        if fires.any():
            self.items.append((item, fires))

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: Any) -> list[str]:
        return [item for item, fires in self.items if fires[int(i)]]

    get = __getitem__

    def sparse(self, start: int = 0, stop: int | None = None) -> dict[int, list[str]]:
        """{row - start: the ids that fired for it, in item order} for the rows start..stop-1
        where any fired."""
        out: dict[int, list[str]] = {}
        for item, fires in self.items:
            for i in np.flatnonzero(fires[start:stop]).tolist():
                out.setdefault(i, []).append(item)
        return out

    def combinations(self, start: int, stop: int, rows: npt.NDArray[np.bool_]
                     ) -> tuple[list[list[str]], npt.NDArray[np.intp]] | None:
        """Rows start..stop-1 (`rows`: which of them count; the others have none) grouped by the ids
        that fired for them: the distinct lists (in item order; [] for none) and each row's index
        in them. A writer then makes each list's text once, not once per row. None past 62 items
        (one bit per item in a row's code)."""
        if len(self.items) > 62:
            return None
        code = np.zeros(stop - start, dtype=np.int64)
        for k, (_, fires) in enumerate(self.items):
            code |= fires[start:stop].astype(np.int64) << k
        code[~rows] = 0
        distinct, which = np.unique(code, return_inverse=True)
        lists = [[item for k, (item, _) in enumerate(self.items) if c >> k & 1] for c in distinct.tolist()]
        return lists, which

    def lists(self, start: int = 0, stop: int | None = None) -> list[list[str]]:
        """A new list per row start..stop-1 of the ids that fired for it, in item order."""
        return _dense(self.sparse(start, stop), self.n, start, stop)

    def __iter__(self) -> Iterator[list[str]]:
        return (self[i] for i in range(self.n))

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, (FiredItems, RowNotes, list)) else NotImplemented
