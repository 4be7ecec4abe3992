"""Periods as data and the command line write them."""

from __future__ import annotations

import datetime as dt

import pytest

from kpi_rules.common.periods import PeriodError, parse_period, within


@pytest.mark.parametrize(("text", "canonical", "kind", "label", "start", "end"), [
    ("2024-Q2", "2024-Q2", "quarter", "Q2", "2024-04-01", "2024-06-30"),
    ("2024q4", "2024-Q4", "quarter", "Q4", "2024-10-01", "2024-12-31"),
    ("2024 Q1", "2024-Q1", "quarter", "Q1", "2024-01-01", "2024-03-31"),
    ("2024/Q3", "2024-Q3", "quarter", "Q3", "2024-07-01", "2024-09-30"),
    ("2024-06", "2024-06", "month", "06", "2024-06-01", "2024-06-30"),
    ("2024-2", "2024-02", "month", "02", "2024-02-01", "2024-02-29"),
    ("2023/02", "2023-02", "month", "02", "2023-02-01", "2023-02-28"),
    ("2024-H2", "2024-H2", "half", "H2", "2024-07-01", "2024-12-31"),
    ("2024", "2024", "year", "", "2024-01-01", "2024-12-31"),
    (" 2024-Q2 ", "2024-Q2", "quarter", "Q2", "2024-04-01", "2024-06-30"),
])
def test_period_forms(text: str, canonical: str, kind: str, label: str, start: str, end: str) -> None:
    period = parse_period(text)
    assert (str(period), period.kind, period.label) == (canonical, kind, label)
    assert (period.start, period.end) == (dt.date.fromisoformat(start), dt.date.fromisoformat(end))


@pytest.mark.parametrize("text", ["2024-13", "2024-Q5", "2024-H3", "24-Q1", "Q1 2024", "2024-00", "", "x"])
def test_not_periods(text: str) -> None:
    with pytest.raises(PeriodError, match="is not a period"):
        parse_period(text)


def test_containment_and_effective_dates() -> None:
    year, quarter, month = parse_period("2024"), parse_period("2024-Q2"), parse_period("2024-05")
    assert year.contains(quarter) and quarter.contains(month) and not month.contains(quarter)
    assert not parse_period("2024-H1").contains(parse_period("2024-Q3"))
    assert within(quarter, "2024-01-01", "2024-12-31")
    assert within(quarter, "2024-04-01", None)
    assert not within(quarter, "2024-04-02", None)  # the period must lie wholly inside
    assert not within(parse_period("2025-Q1"), "2024-01-01", "2024-12-31")


@pytest.mark.parametrize("text", ["0000-Q1", "0999-Q2", "1899", "9999-Q4", "9999-12"])
def test_years_outside_what_dates_can_hold_are_not_periods(text: str) -> None:
    # 0999-Q2 would print as 999-Q2 and read back as no period at all; 9999-Q4 ends past the last date.
    with pytest.raises(PeriodError, match="not a plausible appraisal year"):
        parse_period(text)
    assert str(parse_period("9998-Q4").end) == "9998-12-31"
