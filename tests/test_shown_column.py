"""`shown_column` gives what `shown` gives for each value, whatever the column's mix of whole
numbers, fractions and missing values (it takes a different way for each mix)."""

from __future__ import annotations

import numpy as np
import pytest

from kpi_rules.results.model import shown, shown_column

SPECIAL = [2.675, -0.0, 1e17, -1e12, float("inf"), float("-inf"), float("nan"), 2.0**53, 0.5, 120.0]


@pytest.mark.parametrize("whole_share", [1.0, 0.95, 0.5, 0.05, 0.0])
@pytest.mark.parametrize("decimals", [0, 2, 10])
def test_every_mix_of_whole_numbers_and_fractions(whole_share: float, decimals: int) -> None:
    rng = np.random.default_rng(11)
    n = 400
    whole = rng.integers(-200, 200, n).astype(np.float64)
    fractions = rng.normal(0, 100, n)
    values = np.where(rng.random(n) < whole_share, whole, fractions)
    values[rng.random(n) < 0.03] = np.nan
    values = np.concatenate([values, SPECIAL])
    for missing in (None, ""):
        column = shown_column(values, decimals, missing)
        expected = [missing if (v := shown(x, decimals)) is None else v for x in values]
        assert column == expected
        assert [type(c) for c in column] == [type(e) for e in expected]


def test_whole_numbers_are_ints_and_nan_is_missing() -> None:
    assert shown_column(np.array([80.0, 100.0, np.nan, 60.0]), missing="") == [80, 100, "", 60]
    assert shown_column(np.array([89.67, 1.0, np.nan]), 2) == [89.67, 1, None]
    assert shown_column(np.zeros(0)) == []
