"""Plain CSV files are split directly; the cells must be exactly what the csv module reads."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_rules.readers import _simple_csv, read_csv

cell = st.text(st.characters(blacklist_characters=',"\r\n', blacklist_categories=("Cs",)), max_size=6)
name = st.text("abcdefgh_ 工号", min_size=1, max_size=5).filter(lambda h: h.strip() != "")


@settings(max_examples=300, deadline=None)
@given(st.lists(name, min_size=1, max_size=5, unique_by=str.strip), st.data(), st.booleans(), st.booleans())
def test_plain_csv_is_split_as_the_csv_module_reads_it(header: list[str], data: st.DataObject, crlf: bool,
                                                       final_newline: bool) -> None:
    widths = st.integers(len(header), len(header)) | st.integers(1, len(header) + 1)  # some rows ragged
    rows = data.draw(st.lists(widths.flatmap(lambda w: st.lists(cell, min_size=w, max_size=w)), max_size=6))
    end = "\r\n" if crlf else "\n"
    text = end.join(",".join(r) for r in [header, *rows]) + (end if final_newline else "")
    simple = _simple_csv(text)
    reference = list(csv.reader(io.StringIO(text, newline="")))
    if simple is None:  # the csv module's path reads it (quotes, ragged or blank rows...)
        assert not rows or any(len(r) != len(header) for r in rows) or any(r == [""] for r in rows)
        return
    got_header, columns = simple
    assert got_header == [h.strip() for h in reference[0]]
    assert [list(r) for r in zip(*columns)] == reference[1:]


def test_both_paths_give_the_same_table() -> None:
    plain = "id,role,x\nE1,r,1\nE2,r, 2\n"
    quoted = 'id,role,x\n"E1",r,1\nE2,"r", 2\n'
    a, b = read_csv(plain, "a.csv", ""), read_csv(quoted, "b.csv", "")
    assert (a.header, a.columns, a.lines, a.row_errors) == (b.header, b.columns, b.lines, b.row_errors)
    assert a.columns == {"id": ["E1", "E2"], "role": ["r", "r"], "x": ["1", " 2"]}
