"""The results CSV is made a column at a time; its rows must be those made from the rows' dicts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from engine_helpers import row, run, run_files

from kpi_rules.writers.csv_rows import DANGEROUS, csv_rows
from kpi_rules.writers.results_csv import CSV_FIELDS

ROOT = Path(__file__).resolve().parent.parent


def _cell(value: Any) -> Any:
    """The cell of one dict value, as the CSV has always written it."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def _reference(res: Any, ids: list[str]) -> list[tuple[Any, ...]]:
    return [tuple([_cell(r.get(f)) for f in CSV_FIELDS]
                  + [_cell(r["indicators"].get(i, {}).get("score")) for i in ids])
            for r in res.employee_rows(0, res.n)]


@pytest.mark.parametrize(("policy", "data", "period"), [
    ("policies/ops-department.yaml", "examples/ops-2024.csv", "2024-Q2"),
    ("policies/ops-department.yaml", "examples/ops-2024.csv", "2024"),
    ("policies/customer-support.yaml", "examples/support-2024.csv", "2024-03"),
])
def test_example_rows_are_those_of_the_dicts(policy: str, data: str, period: str) -> None:
    ev = run_files(ROOT / policy, ROOT / data, period)
    ids = [ind.id for ind in ev.policy.indicators if ind.id in ev.result.indicators]  # as write_csv picks them
    assert csv_rows(ev.result, 0, ev.result.n, ids) == _reference(ev.result, ids)
    assert csv_rows(ev.result, 5, 9, ids) == _reference(ev.result, ids)[5:9]


def test_dangerous_text_and_unrated_rows(tmp_path: Path) -> None:
    body = """
    inputs: {s: {type: number}}
    indicators: {s: {formula: s}}
    scales: {v: {type: formula, formula: value}}
    roles: {r: {indicators: {s: {weight: 100%, scale: v}}}}
    bonuses: {items: [{id: big, when: s > 100, points: 1}]}
    """
    rows = [row("E1", name="=HYPERLINK(1)", s=120), row("-E2", name="@x", s="bad"), row("E3", team="+t", s=90)]
    ev = run(tmp_path, body, rows)
    got = csv_rows(ev.result, 0, ev.result.n, ["s"])
    assert got == _reference(ev.result, ["s"])
    assert got[0][1] == "'=HYPERLINK(1)" and got[0][16] == "big" and got[1][0] == "'-E2" and got[2][3] == "'+t"
    assert got[1][5] == "error" and got[1][11] == "" and got[1][-1] == ""  # an error row: no final, no score


def test_bonus_combinations_in_item_order_and_only_for_rated_rows(tmp_path: Path) -> None:
    body = """
    inputs: {s: {type: number}}
    indicators: {s: {formula: s}}
    scales: {v: {type: formula, formula: value}}
    roles: {r: {indicators: {s: {weight: 100%, scale: v}}}}
    bonuses: {items: [{id: high, when: s >= 80, points: 1}, {id: odd, when: s % 2 == 1, points: 1},
                      {id: low, when: s < 50, points: 1}]}
    """
    rows = [row("E1", s=81), row("E2", s=90), row("E3", s=41), row("E4", s=40), row("E5", s="bad"),
            row("E6", s=61), row("E7", s=83)]
    ev = run(tmp_path, body, rows)
    got = csv_rows(ev.result, 0, ev.result.n, ["s"])
    assert got == _reference(ev.result, ["s"])
    assert [r[16] for r in got] == ["high; odd", "high", "odd; low", "low", "", "odd", "high; odd"]
    assert [r[16] for r in csv_rows(ev.result, 2, 5, ["s"])] == ["odd; low", "low", ""]
