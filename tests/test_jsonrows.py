"""The columnar JSON encoder writes exactly the bytes orjson makes of the rows' dicts.

(tests/engine_helpers.employees checks the same on every engine test's evaluation.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from engine_helpers import row, run_files, write_policy, write_rows
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_rules.results.model import shown_column
from kpi_rules.results.notes import FiredItems
from kpi_rules.writers.json_rows import (
    encode_rows,
    fired_fragments,
    list_fragments,
    number_fragments,
    text_fragments,
)
from kpi_rules.writers.results_json import to_json

ROOT = Path(__file__).resolve().parent.parent

floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e6, max_value=1e6),
    st.integers(min_value=-(2**60), max_value=2**60).map(float),
    st.sampled_from([0.0, -0.0, 0.1 + 0.2, 2.675, 1e16, 2.0**53, 2.0**53 + 2, 1e-5, 123.0, 84.125]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(floats, min_size=1, max_size=30), st.sampled_from([0, 2, 4, 6, 10]), st.data())
def test_numbers_are_encoded_as_the_dicts_show_them(values: list[float], decimals: int, data: st.DataObject) -> None:
    column = np.array(values, dtype=np.float64)
    blank = np.array(data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values))))
    expected = [b"null" if b else orjson.dumps(v) for v, b in zip(shown_column(column, decimals), blank)]
    assert number_fragments(column, decimals, blank) == expected


@given(st.lists(st.one_of(st.none(), st.text()), min_size=1, max_size=20))
def test_texts_are_encoded_one_by_one(values: list[str | None]) -> None:
    assert text_fragments(values) == [orjson.dumps(v) for v in values]


@given(st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.text(alphabet='",\\\0\n aé')), max_size=20))
def test_texts_of_quotes_commas_and_backslashes_are_cut_between_values(values: list[Any]) -> None:
    assert text_fragments(values) == [orjson.dumps(v) for v in values]
    assert text_fragments([",", ""]) == [b'","', b'""']
    assert text_fragments(['"', "\\", "a b", None]) == [b'"\\""', b'"\\\\"', b'"a b"', b"null"]
    assert text_fragments(["a", 7, "b"]) == [b'"a"', b"7", b'"b"']  # not all text: each on its own


def test_lists_show_only_for_the_rows_asked() -> None:
    rows = np.array([True, False, True])
    assert list_fragments(3, {0: ["a"], 1: ["b"]}, rows) == [b'["a"]', b"[]", b"[]"]
    assert list_fragments(3, {1: ['say "no"']}) == [b"[]", b'["say \\"no\\""]', b"[]"]


@pytest.mark.parametrize(("policy", "data", "period"), [
    ("policies/ops-department.yaml", "examples/ops-2024.csv", "2024-Q2"),
    ("policies/ops-department.yaml", "examples/ops-2024.csv", "2024"),
    ("policies/customer-support.yaml", "examples/support-2024.csv", "2024-03"),
    ("policies/customer-support.yaml", "examples/support-2024.csv", "2024-Q2"),
])
def test_example_results_encode_like_their_dicts(policy: str, data: str, period: str) -> None:
    res = run_files(ROOT / policy, ROOT / data, period).result
    expected = [orjson.dumps(row) for row in res.employee_rows(0, res.n)]
    assert encode_rows(res, 0, res.n) == expected
    # slices line up with the whole
    assert encode_rows(res, 3, 11) == expected[3:11]
    assert encode_rows(res, res.n, res.n + 5) == []


@pytest.mark.parametrize("rows", [1, 2, 3, 5])
def test_every_row_is_written_whatever_the_slices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int) -> None:
    # One row (where every column is "the same on every row"), and a last slice of one row.
    monkeypatch.setattr("kpi_rules.writers.results_json.CHUNK_ROWS", 2)
    policy = write_policy(tmp_path, """
        inputs: {x: {type: number}}
        indicators: {x: {formula: x}}
        scales: {direct: {type: formula, formula: value}}
        roles: {r: {indicators: {x: {weight: 100%, scale: direct}}}}
    """)
    data = write_rows(tmp_path, [row(f"E{i}", x=90 + i) for i in range(rows)])
    doc = json.loads(to_json(run_files(policy, data, "2024-Q1")))
    assert [(e["employee_id"], e["final"]) for e in doc["employees"]] == [(f"E{i}", 90 + i) for i in range(rows)]


def test_fired_items_grouped_by_combination_and_encoded_once_each() -> None:
    fired = FiredItems(6)
    fired.record("a", np.array([True, True, False, False, True, False]))
    fired.record("b", np.array([True, False, True, False, True, True]))
    rows = np.array([True, True, True, True, False, True])
    grouped = fired.combinations(0, 6, rows)
    assert grouped is not None
    lists, which = grouped
    assert [lists[k] for k in which.tolist()] == [["a", "b"], ["a"], ["b"], [], [], ["b"]]
    assert fired_fragments(fired, 1, 6, rows[1:]) == [b'["a"]', b'["b"]', b"[]", b"[]", b'["b"]']
    assert fired_fragments(fired, 0, 6, rows) == list_fragments(6, fired.sparse(0, 6), rows)
    many = FiredItems(2)
    for k in range(63):
        many.record(f"i{k}", np.array([True, k % 2 == 0]))
    assert many.combinations(0, 2, np.array([True, True])) is None  # more items than bits: the row by row way
    assert fired_fragments(many, 0, 2, np.array([True, True])) == list_fragments(2, many.sparse(0, 2))
