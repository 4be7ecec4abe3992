"""Figures computed from results, shared by the reports and the workbook so that both
print the same numbers: the spread of final scores, grade counts, quota checks.

Plain sequences in, plain dicts out: the reports pass values taken from the section-3
rows, the workbook writer values taken from the result's columns.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from kpi_rules.results.model import shown, shown_column

Row = dict[str, Any]


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def rounded(value: float | None, decimals: int) -> float | int | None:
    return None if value is None else shown(value, decimals)


def final_figures(finals: Sequence[float], decimals: int) -> Row:
    """Mean, median, lowest and highest of the final scores (as shown: rounded), None when there are none."""
    return final_figures_of_groups([finals], decimals)[0]


def final_figures_of_groups(groups: Sequence[Sequence[float]], decimals: int) -> list[Row]:
    """`final_figures` of many groups (teams) at once: their figures rounded in one pass."""
    keys = ("mean_final", "median_final", "min_final", "max_final")
    raw = [(mean(f), statistics.median(f), min(f), max(f)) if f else (None,) * 4 for f in groups]
    flat = [v for figures in raw for v in figures]
    numbers = shown_column(np.array([np.nan if v is None else v for v in flat], dtype=np.float64), decimals)
    return [dict(zip(keys, numbers[4 * k:4 * k + 4])) for k in range(len(groups))]


def grade_counts(grades: Iterable[tuple[str, str]], rated_grades: Sequence[Any]) -> list[Row]:
    """For each (grade, label) of the policy: how many rated rows hold it and their share."""
    n = len(rated_grades)
    counts = Counter(rated_grades)
    pairs = [(grade, label, counts.get(grade, 0)) for grade, label in grades]
    shares = shown_column(np.array([c / n for _, _, c in pairs], dtype=np.float64), 4) if n else [None] * len(pairs)
    return [{"grade": grade, "label": label, "count": count, "share": share}
            for (grade, label, count), share in zip(pairs, shares)]


def quota_checks(quotas: dict[str, Any], grade_order: Iterable[str]) -> list[Row]:
    """A distribution group's quotas (results `distribution.groups[].quotas`) as one row per rule,
    in the policy's grade order: the share, the places it gives, the holders and whether it holds."""
    out: list[Row] = []
    for grade in grade_order:
        q = quotas.get(grade)
        if not q:
            continue
        if "max" in q:
            out.append({"grade": grade, "rule": "max", "share": q["max"], "places": q["allowed"],
                        "holders": q["holders"], "moved": q["moved"], "ok": q["holders"] <= q["allowed"]})
        if "min" in q:
            out.append({"grade": grade, "rule": "min", "share": q["min"], "places": q["required"],
                        "holders": q["actual"], "moved": 0, "ok": q["met"]})
    return out
