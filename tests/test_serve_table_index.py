"""The web app's table index (serve/storage/table_index.py): made from an evaluation's columns at
upload, it equals the index made from the stored rows' JSON (how an evaluation stored before schema 5
gets one), and its order is the table's: numbers by value, text as text, empty cells last."""

from __future__ import annotations

import orjson
import pytest
from serve_helpers import ROOT

from kpi_rules.serve.storage import table_index
from kpi_rules.serve.worker import Failure, Job, Outcome, evaluate_job, evaluation_of

POLICY = ROOT / "policies" / "ops-department.yaml"
DATA = ROOT / "examples" / "ops-2024.csv"


@pytest.mark.parametrize("period", ["2024-Q2", "2024-Q4", "2024"])
def test_the_index_from_columns_equals_the_index_from_the_rows(period: str) -> None:
    job = Job(POLICY.read_bytes(), str(POLICY), DATA.read_bytes(), DATA.name, None, period)
    outcome = evaluate_job(job)
    ev = evaluation_of(job)
    assert isinstance(outcome, Outcome) and not isinstance(ev, Failure)
    header = orjson.loads(outcome.header)
    from_rows = table_index.index_of(header, [orjson.loads(r[3]) for r in outcome.rows])
    assert table_index.index_of_result(header, ev.result) == from_rows
    assert table_index.decode(outcome.table or b"") == orjson.loads(orjson.dumps(from_rows))
    assert from_rows["rows"] == header["summary"]["rows"]
    assert len(from_rows["unrated"]) == header["summary"]["rows"] - header["summary"]["rated"]


def test_ranks_order_numbers_by_value_text_as_text_and_empty_cells_last() -> None:
    rows = [{"employee_id": "E10", "name": "b", "team": "t2", "final": 9.5, "grade": "B", "status": "rated"},
            {"employee_id": "E9", "name": None, "team": None, "final": 10, "grade": "A", "status": "rated"},
            {"employee_id": "E1", "name": "a", "team": "t2", "final": None, "status": "error", "line": 4,
             "reasons": ["no target"]}]
    index = table_index.index_of({}, rows)
    fields = index["fields"]
    assert fields["employee_id"] == {"values": ["E1", "E10", "E9"], "ranks": [1, 2, 0]}
    assert fields["final"] == {"values": [9.5, 10], "ranks": [0, 1, -1]}
    assert fields["team"] == {"values": ["t2"], "ranks": [0, -1, 0]}
    assert fields["name"] == {"values": ["a", "b"], "ranks": [1, -1, 0]}
    assert index["unrated"] == [{"employee_id": "E1", "status": "error", "line": 4, "reasons": ["no target"]}]
    assert index["finals"] == {"B": 9.5, "A": 10.0}
