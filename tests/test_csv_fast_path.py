"""Plain CSV files are read from their bytes (kpi_rules/csvbytes.py); the cells must be exactly
what the csv module reads, and the numbers exactly what float() reads."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_rules.data.csvbytes import plain_csv, plain_decimals
from kpi_rules.data.readers import read_table

cell = st.text(st.characters(blacklist_characters=',"\r\n\0', blacklist_categories=("Cs",)), max_size=6)
number = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.integers(-10**20, 10**20).map(str),
    st.text("0123456789+-.eE", min_size=1, max_size=6),  # mostly not numbers at all
    st.sampled_from(["", " 12", "1_000", "nan", "inf", "1e999", "0x10", "１２", "12%"]),
)
name = st.text("abcdefgh_ 工号", min_size=1, max_size=5).filter(lambda h: h.strip() != "")


def _table(header: list[str], rows: list[list[str]], crlf: bool, final_newline: bool) -> bytes:
    end = "\r\n" if crlf else "\n"
    return (end.join(",".join(r) for r in [header, *rows]) + (end if final_newline else "")).encode()


@settings(max_examples=300, deadline=None)
@given(st.lists(name, min_size=1, max_size=5, unique_by=str.strip), st.data(), st.booleans(), st.booleans())
def test_cells_are_what_the_csv_module_reads(header: list[str], data: st.DataObject, crlf: bool,
                                            final_newline: bool) -> None:
    widths = st.integers(len(header), len(header)) | st.integers(1, len(header) + 1)  # some rows ragged
    rows = data.draw(st.lists(widths.flatmap(lambda w: st.lists(cell, min_size=w, max_size=w)), max_size=6))
    raw = _table(header, rows, crlf, final_newline)
    plain = plain_csv(raw, 10_000)
    reference = list(csv.reader(io.StringIO(raw.decode(), newline="")))
    if plain is None:  # the csv module's path reads it (ragged or blank rows, rows of empty cells...)
        assert (not rows or any(len(r) != len(header) for r in rows) or any(r == [""] for r in rows)
                or any(not "".join(r) for r in rows))
        return
    got_header, cells = plain
    assert got_header == [h.strip() for h in reference[0]]
    assert [list(r) for r in zip(*(cells.text(k) for k in range(len(header))))] == reference[1:]


@settings(max_examples=300, deadline=None)
@given(st.lists(number, min_size=1, max_size=12))
def test_numbers_are_what_float_reads_or_left_to_typing(column: list[str]) -> None:
    plain = plain_csv(_table(["x"], [[c] for c in column], False, True), 10_000)
    if plain is None:  # blank lines: an empty cell in a one-column file
        assert "" in column
        return
    values = plain[1].numbers(0)
    if values is None:  # typing reads these cell by cell and names what is wrong
        return
    expected = [float(c) if c else math.nan for c in column]
    assert all(math.isfinite(v) for v in expected if not math.isnan(v))
    np.testing.assert_array_equal(values, np.array(expected))
    assert not any(c.strip() != c or "_" in c or not c.isascii() for c in column)


def _matrix(cells: list[str]) -> tuple[np.ndarray, np.ndarray]:
    matrix = np.zeros((len(cells), max([3, *map(len, cells)])), dtype=np.uint8)
    for i, c in enumerate(cells):
        matrix[i, :len(c)] = list(c.encode())
    return matrix, np.array([c == "" for c in cells])


short = st.from_regex(r"[+-]?[0-9]{0,8}(\.[0-9]{0,7})?", fullmatch=True).filter(lambda c: any(map(str.isdigit, c)))


@settings(max_examples=300, deadline=None)
@given(st.lists(short | st.just(""), min_size=1, max_size=20))
def test_short_decimals_are_computed_to_the_bit_as_float_reads_them(column: list[str]) -> None:
    values = plain_decimals(*_matrix(column))
    expected = np.array([float(c) if c else math.nan for c in column])
    assert values is not None and values.view(np.int64).tolist() == expected.view(np.int64).tolist()  # -0.0 too
    plain = plain_csv(_table(["x", "y"], [[c, "1"] for c in column], False, True), 10_000)
    assert plain is not None and plain[1].numbers(0).view(np.int64).tolist() == expected.view(np.int64).tolist()


@pytest.mark.parametrize("cell", ["1e5", "2E-3", "1-2", "+", "-", ".", "1.2.3", "1234567890123456",
                                  "12345678.12345678"])
def test_other_number_forms_are_left_to_numpy_or_typing(cell: str) -> None:
    assert plain_decimals(*_matrix(["12.5", cell])) is None


def test_numbers_come_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kpi_rules.data.csvbytes.CHUNK", 3)
    plain = plain_csv(b"id,x\n" + b"".join(b"E%d,%d.5\n" % (i, i) for i in range(10)), 100)
    assert plain is not None
    values = plain[1].numbers(1)
    assert values is not None and values.tolist() == [i + 0.5 for i in range(10)]
    assert plain[1].text(0) == [f"E{i}" for i in range(10)]


def test_a_plain_file_and_a_quoted_one_give_the_same_table(tmp_path: Path) -> None:
    (tmp_path / "plain.csv").write_bytes(b"\xef\xbb\xbfid,role,x\r\nE1,r,1\r\nE2,r, 2\r\n")
    (tmp_path / "quoted.csv").write_bytes(b'id,role,x\n"E1",r,1\nE2,"r", 2\n')
    a, b = read_table(tmp_path / "plain.csv"), read_table(tmp_path / "quoted.csv")
    assert (a.header, dict(a.columns), a.lines, a.row_errors) == (b.header, dict(b.columns), b.lines, b.row_errors)
    assert dict(a.columns) == {"id": ["E1", "E2"], "role": ["r", "r"], "x": ["1", " 2"]}
    assert a.numbers("x") is None and b.numbers("x") is None  # ` 2`: typing strips it, cell by cell


quoted_cell = st.text(st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)), max_size=6)


def _quote(cell: str, how: int) -> str:
    """0: bare if it can be; 1: in quotes as Excel writes them; 2: odd quoting the csv module reads its own way."""
    if how == 2:
        return cell[:1] + '"' + cell[1:]
    if how == 0 and not any(c in cell for c in ',"\r\n'):
        return cell
    return '"' + cell.replace('"', '""') + '"'


@settings(max_examples=400, deadline=None)
@given(st.lists(name, min_size=1, max_size=4, unique_by=str.strip), st.data(), st.booleans(),
       st.sampled_from([(0, 1), (1,), (0, 1, 2)]))
def test_quoted_cells_are_what_the_csv_module_reads(header: list[str], data: st.DataObject, crlf: bool,
                                                   kinds: tuple[int, ...]) -> None:
    rows = data.draw(st.lists(st.lists(quoted_cell, min_size=len(header), max_size=len(header)), max_size=5))
    end = "\r\n" if crlf else "\n"
    how = data.draw(st.lists(st.sampled_from(kinds), min_size=(len(rows) + 1) * len(header),
                             max_size=(len(rows) + 1) * len(header)))
    lines = [",".join(_quote(c, how.pop()) for c in r) for r in [header, *rows]]
    raw = (end.join(lines) + end).encode()
    plain = plain_csv(raw, 10_000)
    reference = list(csv.reader(io.StringIO(raw.decode(), newline="")))
    if plain is None:  # cells of several lines, odd quoting, rows of empty cells: the csv module's path
        return
    got_header, cells = plain
    assert got_header == [h.strip() for h in reference[0]]
    assert [list(r) for r in zip(*(cells.text(k) for k in range(len(header))))] == reference[1:]
    assert cells.n == len(reference) - 1  # one row a line: the lines counted from 2 are right


def test_excel_quoted_files_take_the_fast_path() -> None:
    raw = (b'"id","name","x"\r\n"E1","Li, Na","1.5"\r\n"E2","say ""hi""",""\r\n"E3","""q""","-2"\r\n')
    plain = plain_csv(raw, 100)
    assert plain is not None
    header, cells = plain
    assert header == ["id", "name", "x"]
    assert cells.text(1) == ["Li, Na", 'say "hi"', '"q"']
    values = cells.numbers(2)
    assert values is not None and values[0] == 1.5 and math.isnan(values[1]) and values[2] == -2
    assert plain_csv(b'id,x\n"E1","a\nb"\n', 100) is None  # a cell of two lines
    assert plain_csv(b'id,x\nE1,"a"b\n', 100) is None  # text after the closing quote
    assert plain_csv(b'id,x\nE1,a"b"\n', 100) is None  # a quote inside a bare cell
    assert plain_csv(b'id,x\n"",""\n', 100) is None  # a row of empty cells
