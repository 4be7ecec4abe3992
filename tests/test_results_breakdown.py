"""A roll-up's period breakdown (PeriodResult.periods), kept as columns and made when read: it
reads as the list of dicts it used to be, entry for entry the same as each quarter's own result."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kpi_rules.api import evaluate, evaluation_to_dict, load_data, load_policy
from kpi_rules.data.table import Table
from kpi_rules.policy.model import Policy
from kpi_rules.results.breakdown import PeriodBreakdown
from kpi_rules.results.subset import take_rows

ROOT = Path(__file__).resolve().parent.parent
OPS = ROOT / "policies" / "ops-department.yaml"
DATA = ROOT / "examples" / "ops-2024.csv"
QUARTERS = ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def _tables(policy: Policy, tmp_path: Path) -> dict[str, Table]:
    """The example file as it is (each quarter a run of rows), shuffled (quarters interleaved), and
    split into one file per quarter read as one table (entries then name their file)."""
    header, rows = _rows(DATA)
    at = header.index("period")
    shuffled = [rows[i] for i in np.random.default_rng(7).permutation(len(rows)).tolist()]
    files = [_write(tmp_path / f"{q}.csv", header, [r for r in rows if r[at] == q]) for q in QUARTERS]
    return {"as is": load_data(policy, DATA),
            "shuffled": load_data(policy, _write(tmp_path / "shuffled.csv", header, shuffled)),
            "one file per quarter": load_data(policy, files)}


def _expected(policy: Policy, table: Table, employees: list[Any]) -> list[dict[str, Any]]:
    """Each employee's breakdown from the four quarters evaluated on their own."""
    out: list[dict[str, Any]] = [{} for _ in employees]
    where = {emp: k for k, emp in enumerate(employees)}
    for quarter in QUARTERS:
        for row in evaluate(policy, table, quarter).result.employees():
            file = {"file": row["file"]} if "file" in row else {}
            out[where[row["employee_id"]]][quarter] = {"status": row["status"], "line": row["line"], **file,
                                                       "final": row["final"], "grade": row["grade"]}
    return out


def _items(entries: list[dict[str, Any]]) -> list[list[tuple[str, list[tuple[str, Any]]]]]:
    """Entries with their keys' order, which the results JSON keeps."""
    return [[(p, list(e.items())) for p, e in entry.items()] for entry in entries]


@pytest.mark.parametrize("kind", ["as is", "shuffled", "one file per quarter"])
def test_each_entry_is_the_quarters_own_result(kind: str, tmp_path: Path) -> None:
    policy = load_policy(OPS)
    table = _tables(policy, tmp_path)[kind]
    res = evaluate(policy, table, "2024").result
    expected = _expected(policy, table, res.employee_id.tolist())
    assert any(e["2024-Q4"]["status"] == "error" for e in expected)  # E033: a quarter in error
    assert _items(list(res.periods)) == _items(expected)
    assert _items(res.periods.rows(3, 9)) == _items(expected[3:9])
    assert _items(res.periods[5:2:-1]) == _items(expected[5:2:-1])
    assert _items([res.periods[k] for k in range(res.n)]) == _items(expected)
    assert res.periods[-1] == expected[-1] and len(res.periods) == res.n == len(expected)
    with pytest.raises(IndexError):
        res.periods[res.n]
    assert _items([row["periods"] for row in evaluation_to_dict(evaluate(policy, table, "2024"))["employees"]]) \
        == _items(expected)


def test_an_entry_changed_through_its_index_stays_changed_like_a_lists() -> None:
    policy = load_policy(OPS)
    res = evaluate(policy, load_data(policy, DATA), "2024").result
    res.periods[2]["2024-Q1"]["final"] = 0
    res.periods[3] = {"2024-Q1": {"status": "error", "line": 1, "final": None, "grade": None}}
    assert res.periods[2]["2024-Q1"]["final"] == 0 and list(res.periods)[2]["2024-Q1"]["final"] == 0
    assert res.employee_rows(2, 3)[0]["periods"]["2024-Q1"]["final"] == 0
    assert list(res.periods[3]) == ["2024-Q1"] and res.periods.labels() == QUARTERS
    # rows handed to callers are theirs: changing them changes neither the result nor its next rows
    res.employee_rows(0, 5)[2]["periods"]["2024-Q1"]["final"] = 7
    res.periods.rows(0, 5, copies=True)[2]["2024-Q1"]["final"] = 7
    assert res.periods[2]["2024-Q1"]["final"] == 0


def test_counts_labels_and_troubled_agree_with_the_entries() -> None:
    policy = load_policy(OPS)
    res = evaluate(policy, load_data(policy, DATA), "2024").result

    def by_hand() -> tuple[list[str], int, set[int]]:
        entries = list(res.periods)
        labels = list(dict.fromkeys(p for entry in entries for p in entry))
        errors = sum(1 for entry in entries for e in entry.values() if e["status"] == "error")
        troubled = {k for k, entry in enumerate(entries) if any(e["status"] != "rated" for e in entry.values())}
        return labels, errors, troubled

    labels, errors, troubled = by_hand()
    assert (res.periods.labels(), res.periods.count("error"), res.periods.troubled()) == (labels, errors, troubled)
    assert errors == 1 and len(troubled) == 3  # E033: 2024-Q4 in error; two with a quarter not rated
    res.periods[0]["2024-Q2"]["status"] = "error"  # a kept entry, changed
    res.periods[1]["2024-H2"] = res.periods[1].pop("2024-Q3")
    assert res.periods.labels() == [*QUARTERS, "2024-H2"]
    assert (res.periods.labels(), res.periods.count("error"), res.periods.troubled()) == by_hand()
    assert res.periods.count("error") == 2 and 0 in res.periods.troubled()


def test_some_employees_taken_keep_their_entries() -> None:
    policy = load_policy(OPS)
    res = evaluate(policy, load_data(policy, DATA), "2024").result
    res.periods[4]["2024-Q1"]["grade"] = "changed"
    rows = np.array([1, 4, 7, res.n - 1])
    part = take_rows(res, rows)
    assert list(part.periods) == [res.periods[i] for i in rows.tolist()]
    assert part.periods[1]["2024-Q1"]["grade"] == "changed"
    assert list(take_rows(res, np.zeros(0, dtype=np.intp)).periods) == []


def test_a_period_result_has_no_breakdown() -> None:
    policy = load_policy(OPS)
    res = evaluate(policy, load_data(policy, DATA), "2024-Q2").result
    assert not res.periods and list(res.periods) == [] and res.periods == []
    assert not take_rows(res, np.arange(3)).periods and "periods" not in res.employee(0)
    assert PeriodBreakdown.of([{"2024-Q1": {"status": "rated"}}]) == [{"2024-Q1": {"status": "rated"}}]


def test_periods_spelled_two_ways_are_one_period_and_a_table_without_numbers_reads_the_same(tmp_path: Path) -> None:
    header, rows = _rows(DATA)
    at = header.index("period")
    for k, row in enumerate(rows):
        if row[at] == "2024-Q2" and k % 2:
            row[at] = "2024Q2"
    policy = load_policy(OPS)
    table = load_data(policy, _write(tmp_path / "two.csv", header, rows))
    ev = evaluate(policy, table, "2024")
    assert ev.other_periods == {} and ev.result.periods.labels() == QUARTERS
    unnumbered = dataclasses.replace(table, period_code=None, period_texts=[])
    assert evaluation_to_dict(evaluate(policy, unnumbered, "2024")) == evaluation_to_dict(ev)
    assert evaluation_to_dict(evaluate(policy, unnumbered, "2024-Q2")) == evaluation_to_dict(
        evaluate(policy, table, "2024-Q2"))
