"""Plain CSV files read from their bytes, a column at a time.

Most exports are plain: UTF-8, no quotes, no blank lines, every row as wide as
the header. For those, numpy finds every cell's place in the file at once, and
a column becomes Python text or numbers only when typing asks for it; number
columns never become a million little strings (which cost more memory than the
whole file and most of the time at 1M rows). The cells are exactly those the
csv module reads (a property test holds them equal); every other file takes the
csv module's path.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
CHUNK = 1 << 17  # rows gathered at a time: bounds the temporary cell matrix
_NUMBER_BYTES = np.zeros(256, dtype=bool)
_NUMBER_BYTES[list(b"0123456789+-.eE")] = True  # a plain decimal number, nothing float() alone would take
_CLOSES = np.array([ord(","), ord("\n"), ord('"')], dtype=np.uint8)  # what may follow a closing quote
_PAD, _DIGIT, _DOT, _SIGN, _OTHER = range(5)  # what each byte of a number matrix is
_KIND = np.full(256, _OTHER, dtype=np.uint8)
_KIND[[0, *b"0123456789.+-"]] = [_PAD, *[_DIGIT] * 10, _DOT, _SIGN, _SIGN]
_POWERS = np.array([float(10**k) for k in range(16)])  # exact doubles
SCAN = 1 << 23  # bytes scanned at a time for quotes: bounds the temporary masks


class CsvCells:
    """Where each cell of a CSV body lies: `ends[row, column]` is the byte offset of the comma or
    newline that closes it; `quoted[row, column]` whether it is written in quotes (its text lies
    one byte further in at each side); columns in `escaped` hold a `""` (a quote) in some cell."""

    def __init__(self, body: npt.NDArray[np.uint8], ends: npt.NDArray[np.int64],
                 quoted: npt.NDArray[np.bool_] | None = None, escaped: frozenset[int] = frozenset(),
                 first: int = 0) -> None:
        self.body, self.ends, self.quoted, self.escaped, self.first = body, ends, quoted, escaped, first

    @property
    def n(self) -> int:
        return int(self.ends.shape[0])

    def _starts(self, k: int, lo: int, hi: int) -> npt.NDArray[np.int64]:
        if k:
            return self.ends[lo:hi, k - 1] + 1
        starts = np.empty(hi - lo, dtype=np.int64)
        starts[1:] = self.ends[lo:hi - 1, -1] + 1
        starts[0] = self.ends[lo - 1, -1] + 1 if lo else self.first
        return starts

    def _matrix(self, k: int, lo: int, hi: int) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
        """Rows lo..hi-1 of column k as a zero-padded byte matrix, and each cell's length."""
        starts = self._starts(k, lo, hi)
        stops = self.ends[lo:hi, k]
        if self.quoted is not None:
            inset = self.quoted[lo:hi, k]
            starts, stops = starts + inset, stops - inset
        lengths = stops - starts
        width = max(int(lengths.max(initial=0)), 3)
        last = len(self.body) - 1
        offsets = np.arange(width, dtype=np.int32 if last + width < 2**31 else np.int64)
        where = starts.astype(offsets.dtype)[:, None] + offsets
        tail = int(np.searchsorted(starts, last - width + 1))  # the rows (ascending) that may reach past the end
        np.minimum(where[tail:], last, out=where[tail:])
        matrix = self.body[where]
        matrix *= offsets < lengths[:, None]  # zero after each cell's text
        return matrix, lengths

    def _chunks(self, k: int) -> Iterator[tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]]:
        for lo in range(0, self.n, CHUNK):
            yield self._matrix(k, lo, min(lo + CHUNK, self.n))

    def text(self, k: int) -> list[str]:
        out: list[str] = []
        for matrix, _ in self._chunks(k):
            cells = matrix.view(f"S{matrix.shape[1]}").ravel().tolist()
            text = b"\0".join(cells).decode("utf-8")  # one decode: the file holds no NUL byte
            if k in self.escaped:
                text = text.replace('""', '"')
            out += text.split("\0")
        return out

    def numbers(self, k: int) -> FloatArray | None:
        """Column k as numbers (empty cells NaN), if every cell is a plain finite decimal number
        or empty; None if any cell needs the closer look of the typing code."""
        parts = []
        for matrix, lengths in self._chunks(k):
            empty = lengths == 0
            values = plain_decimals(matrix, empty)
            if values is None:
                if not _NUMBER_BYTES[matrix[matrix != 0]].all():
                    return None  # spaces, letters, `_`, `,`: typing says what is wrong, cell by cell
                matrix[empty, :3] = list(b"nan")
                try:
                    values = matrix.view(f"S{matrix.shape[1]}").ravel().astype(np.float64)
                except ValueError:
                    return None  # `1.2.3`, `--5`, `e`...
            if not np.isfinite(values[~empty]).all():
                return None  # a number too large to hold
            parts.append(values)
        return np.concatenate(parts) if parts else np.zeros(0)


def plain_decimals(matrix: npt.NDArray[np.uint8], empty: npt.NDArray[np.bool_]) -> FloatArray | None:
    """The cells of a number byte matrix (empty ones NaN) if every other cell is `[+-]digits[.digits]`
    with at most 15 digits, else None. Computed as m / 10**k, both exact doubles: IEEE division
    rounds correctly, so this is the value float() reads (the fast path of strtod, Clinger 1990),
    about ten times faster than numpy's parse of each cell."""
    kind = _KIND[matrix]
    if (kind == _OTHER).any() or (kind[:, 1:] == _SIGN).any():
        return None  # an exponent, a space, a letter...; or a sign after the first byte
    digit, dot = kind == _DIGIT, kind == _DOT
    count = digit.sum(axis=1)
    if (dot.sum(axis=1) > 1).any() or ((count == 0) & ~empty).any() or (count > 15).any():
        return None  # `1.2.3`, a lone sign or dot, or too many digits for an exact double
    whole = np.zeros(len(matrix), dtype=np.int64)
    decimals = np.zeros(len(matrix), dtype=np.int64)
    after_dot = np.zeros(len(matrix), dtype=bool)
    for j in range(matrix.shape[1]):
        d = digit[:, j]
        whole = np.where(d, whole * 10 + matrix[:, j].astype(np.int64) - ord("0"), whole)
        after_dot |= dot[:, j]
        decimals += d & after_dot
    values = whole.astype(np.float64) / _POWERS[decimals]
    values = np.where(matrix[:, 0] == ord("-"), -values, values)
    values[empty] = np.nan
    return values  # type: ignore[no-any-return]


def _separators(buf: npt.NDArray[np.uint8], quotes: bool) -> tuple[npt.NDArray[np.int64], list[int]] | None:
    """The offsets of the commas and newlines that close cells, and of the quotes that escape a
    quote (the first of each `""` inside a quoted cell). None if a quote is where the csv module
    reads it otherwise than as a whole quoted cell: a newline inside quotes (a cell of several
    lines), a quote inside an unquoted cell, text after a cell's closing quote."""
    if not quotes:
        return np.flatnonzero((buf == ord(",")) | (buf == ord("\n"))), []
    parts, escapes, carry = [], [], 0
    for lo in range(0, len(buf), SCAN):
        chunk = buf[lo:lo + SCAN]
        at = np.flatnonzero(chunk == ord('"'))
        newline = chunk == ord("\n")
        cand = np.flatnonzero(newline | (chunk == ord(",")))
        # inside quotes where an odd number of quotes came before
        inside = ((np.searchsorted(at, cand) + carry) & 1).astype(bool)
        if newline[cand[inside]].any():
            return None
        parts.append(cand[~inside] + lo)
        opens = ((np.arange(len(at)) + carry) & 1) == 0  # quotes open and close in turn
        carry = (carry + len(at)) & 1
        at += lo
        closing, opening = at[~opens], at[opens]
        after = buf[closing + 1]  # a closing quote is never the last byte: the body ends with a newline
        if not np.isin(after, _CLOSES).all():
            return None  # `"ab"c`: text after the closing quote
        before = np.where(opening > 0, buf[np.maximum(opening - 1, 0)], ord("\n"))
        if not np.isin(before, _CLOSES).all():
            return None  # `ab"c"`: a quote inside an unquoted cell
        escapes += closing[after == ord('"')].tolist()
    if carry:
        return None
    return (np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)), escapes


def plain_csv(data: bytes, max_cell: int) -> tuple[list[str], CsvCells] | None:
    """The header and cells of a plain CSV file (UTF-8 bytes, no byte order mark), its cells
    bare or each wholly in quotes (`"Li, Na"`, `"say ""hi"" "`: Excel's quoting); None if the
    file is not plain (a cell of several lines or other quoting, blank or ragged rows, rows of
    empty cells, lone CRs, NUL bytes, cells longer than `max_cell`, `;` or tabs between cells)."""
    if b"\0" in data:
        return None
    if b"\r" in data:
        if data.count(b"\r") != data.count(b"\r\n"):
            return None
        data = data.replace(b"\r\n", b"\n")
    head_end = data.find(b"\n")
    head = data[:max(head_end, 0)]
    if head.count(b",") < max(head.count(b";"), head.count(b"\t")):
        return None  # cells separated by `;` (European Excel) or tabs
    if head_end < 0 or head_end + 1 == len(data) or data[head_end + 1] == ord("\n") or \
            data.find(b"\n\n", head_end) >= 0:
        return None
    if not data.endswith(b"\n"):
        data += b"\n"
    buf = np.frombuffer(data, dtype=np.uint8)
    quotes = b'"' in data
    found = _separators(buf, quotes)
    if found is None:
        return None
    seps, escapes = found
    width = int(np.searchsorted(seps, len(head))) + 1  # the header's cells
    if len(seps) % width or len(seps) == width or seps[width - 1] != len(head):
        return None
    header_cells = CsvCells(buf, seps[:width].reshape(1, width))
    header_cells.quoted = (buf[np.concatenate(([0], seps[:width - 1] + 1))] == ord('"'))[None, :]
    ends = seps[width:].reshape(-1, width)
    if not (buf[ends[:, -1]] == ord("\n")).all() or not (buf[ends[:, :-1]] == ord(",")).all():
        return None  # a row narrower or wider than the header
    first = len(head) + 1
    quoted = None
    if quotes:
        starts = np.empty_like(ends)
        starts[:, 1:] = ends[:, :-1] + 1
        starts[0, 0] = first
        starts[1:, 0] = ends[:-1, -1] + 1
        quoted = buf[starts] == ord('"')
        del starts
    row_bytes = np.diff(ends[:, -1], prepend=first - 1)
    lengths = np.diff(ends.ravel(), prepend=first - 1) - 1
    if quoted is not None:
        lengths -= 2 * quoted.ravel()
        row_bytes = row_bytes - 2 * quoted.sum(axis=1)
    if int(lengths.max()) > max_cell:
        return None
    if width > 1 and (row_bytes == width).any():
        return None  # a row of empty cells only (Excel's `,,,,`): skipped and counted by the csv module's path
    where = np.searchsorted(seps, np.array(escapes, dtype=np.int64)) % width
    escaped = frozenset(where.tolist())
    header_cells.escaped = escaped
    header = [h.strip() for h in (header_cells.text(k)[0] for k in range(width))]
    if not all(header):
        return None
    return header, CsvCells(buf, ends, quoted, escaped, first)


class LazyColumns(MutableMapping[str, list[Any]]):
    """The columns of a plain CSV file by name, made into Python text on first use."""

    def __init__(self, header: list[str], cells: CsvCells) -> None:
        self._cells = cells
        self._index = {name: k for k, name in enumerate(header)}
        self._made: dict[str, list[Any]] = {}

    def numbers(self, name: str) -> FloatArray | None:
        """The column as numbers without making its text (see CsvCells.numbers)."""
        if name in self._made or name not in self._index:
            return None
        return self._cells.numbers(self._index[name])

    def forget(self, name: str) -> None:
        """Let go of a column's text made from the file (made again if asked for again)."""
        if name in self._index:
            self._made.pop(name, None)

    def rename(self, old: str, new: str) -> None:
        if old in self._index:
            self._index[new] = self._index.pop(old)
        if old in self._made:
            self._made[new] = self._made.pop(old)

    def __getitem__(self, name: str) -> list[Any]:
        if name not in self._made:
            if name not in self._index:
                raise KeyError(name)
            self._made[name] = self._cells.text(self._index[name])
        return self._made[name]

    def __setitem__(self, name: str, value: list[Any]) -> None:
        self._index.pop(name, None)
        self._made[name] = value

    def __delitem__(self, name: str) -> None:
        if name not in self._index and name not in self._made:
            raise KeyError(name)
        self._index.pop(name, None)
        self._made.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        yield from self._index
        yield from (name for name in self._made if name not in self._index)

    def __len__(self) -> int:
        return len(set(self._index) | set(self._made))

    def __contains__(self, name: object) -> bool:
        return name in self._index or name in self._made
