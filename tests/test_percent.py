"""Percentages: `15%` and a bare `15` both mean 15 percent."""

from __future__ import annotations

import pytest

from kpi_rules.policy.percent import format_percent, in_range, parse_percent


@pytest.mark.parametrize(("value", "fraction"), [
    ("15%", 0.15), (15, 0.15), (15.0, 0.15), ("12.5%", 0.125), (" 37.5 % ", 0.375),
    ("100%", 1.0), (0, 0.0), ("0%", 0.0), ("-5%", -0.05), ("150%", 1.5), (33.3, 0.333),
])
def test_parse_percent(value: object, fraction: float) -> None:
    assert parse_percent(value) == fraction


@pytest.mark.parametrize("value", [True, False, None, "15", "15 percent", "%", "1e2%", [15], "15%%"])
def test_parse_percent_refuses_what_is_not_a_percentage(value: object) -> None:
    with pytest.raises(ValueError):
        parse_percent(value)


def test_weights_that_look_like_they_sum_to_100_do() -> None:
    # 0.1 + 0.2 style noise: exact decimal parsing keeps the sum within 1e-9.
    assert abs(sum(parse_percent(v) for v in ["33.3%", "33.3%", "33.4%"]) - 1.0) < 1e-9
    assert abs(sum(parse_percent(v) for v in [10] * 10) - 1.0) < 1e-9


@pytest.mark.parametrize(("fraction", "text"), [
    (0.15, "15%"), (0.955, "95.5%"), (1.0, "100%"), (0.0, "0%"), (-0.05, "-5%"), (1 / 3, "33.333333%"),
    (-1e-12, "0%"),
])
def test_format_percent(fraction: float, text: str) -> None:
    assert format_percent(fraction) == text


def test_in_range() -> None:
    assert in_range(0.0) and in_range(1.0) and in_range(0.5)
    assert not in_range(-0.01) and not in_range(1.01)
