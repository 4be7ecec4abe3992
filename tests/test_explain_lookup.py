"""explain's Lookup: the input row and team entry it finds are the ones a scan of every row finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpi_rules import evaluate, load_data, load_policy
from kpi_rules.explanation.lookup import Lookup
from kpi_rules.explanation.person import explain, explain_rows

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policies" / "ops-department.yaml"
DATA = ROOT / "examples" / "ops-2024.csv"


def scanned_row(ev, employee_id, period):  # type: ignore[no-untyped-def]
    """The first input row of the employee in this period or none, by looking at every row."""
    text = ev.table.text
    return next((r for r in range(ev.table.n)
                 if text["employee_id"][r] == employee_id and text["period"][r] in (period, None)), None)


@pytest.mark.parametrize("period", ["2024-Q1", "2024-Q2", "2024"])
def test_the_lookup_finds_what_a_scan_of_every_row_finds(period: str) -> None:
    policy = load_policy(POLICY)
    ev = evaluate(policy, load_data(policy, DATA), period)
    lookup = Lookup.of(ev)
    res = ev.result
    found = []
    for i in range(res.n):
        emp, row_period = res.employee_id[i], res.row_period[i]
        r = lookup.input_row(ev, emp, row_period)
        assert r == scanned_row(ev, emp, row_period)
        found.append(r)
        key = res.team[i]
        assert lookup.team(key) is next((e for e in res.teams if key is not None and e["team"] == str(key)), None)
    # the data holds every employee in several quarters: the row found is this period's, not the first
    if period != "2024":
        assert all(r is not None and ev.table.text["period"][r] == period for r in found)
    if period == "2024-Q2":
        assert any(r != lookup.inputs[res.employee_id[i]][0] for i, r in enumerate(found))
    assert lookup.results["E001"] == [i for i in range(res.n) if res.employee_id[i] == "E001"]


def test_explaining_with_a_kept_lookup_says_the_same_as_explain() -> None:
    policy = load_policy(POLICY)
    ev = evaluate(policy, load_data(policy, DATA), "2024-Q2")
    lookup = Lookup.of(ev)
    for employee in ("E001", "E014", "E020"):
        assert explain_rows(ev, lookup.results[employee], lookup) == explain(ev, employee)
    assert lookup.input_row(ev, "nobody", "2024-Q2") is None
    assert lookup.team(None) is None
