"""Numbers for people, the same in every report and locale: `1,234,567`, `88.81%`, `—` for none.

A rounded number must never contradict the result beside it: an attainment of
0.9965 against a target of 1 is not shown as `1` next to a score below target.
Given the edges a value is judged against (targets, band edges, grade minimums),
the formatters add decimals until the shown value lies on the same side of
every edge as the value itself (`0.997`, `99.96%`); see `results.display`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from kpi_rules.results.display import edge_decimals, near_edges
from kpi_rules.results.model import shown, shown_column

NONE = "—"


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def fmt_num(value: object, decimals: int = 2, edges: Iterable[float | None] = ()) -> str:
    """A number rounded for display, with thousands separators from 10,000 up; None -> —.
    With `edges`, as many more decimals as keep it on its side of each edge."""
    number = _number(value)
    if number is None:
        return NONE if value is None else str(value)
    s = shown(number, edge_decimals(number, decimals, edges))
    if s is None:
        return NONE
    return f"{s:,}" if abs(s) >= 10000 else str(s)


def fmt_num_column(values: Sequence[object], decimals: int = 2, edges: Iterable[float | None] = ()) -> list[str]:
    """`fmt_num` of every value, the same edges for all, each column rounded once: only values near an
    edge (where more decimals may be needed) take `fmt_num` itself."""
    marks = [float(e) for e in edges if e is not None]
    out = [NONE if v is None else str(v) for v in values]
    where = [i for i, v in enumerate(values) if _number(v) is not None]
    numbers = np.array([float(values[i]) for i in where], dtype=np.float64)  # type: ignore[arg-type]
    near = near_edges(numbers, decimals, marks)
    for i, s, n, x in zip(where, shown_column(numbers, decimals), near.tolist(), numbers.tolist()):
        if n:
            out[i] = fmt_num(x, decimals, marks)
        else:
            out[i] = NONE if s is None else f"{s:,}" if abs(s) >= 10000 else str(s)
    return out


def fmt_pct(fraction: object, decimals: int = 1, edges: Iterable[float | None] = ()) -> str:
    """A fraction as a percentage: 0.8881 -> 88.8%; with `edges` (fractions), 0.9965 -> 99.65% beside 1."""
    number = _number(fraction)
    if number is None:
        return NONE if fraction is None else str(fraction)
    return f"{fmt_num(number * 100, decimals, [e * 100 for e in edges if e is not None])}%"


def fmt_signed(value: object, decimals: int = 2) -> str:
    """+3, −2, 0: points added or taken away."""
    if value is None or not isinstance(value, (int, float)):
        return NONE if value is None else str(value)
    text = fmt_num(abs(value), decimals)
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else text


def fmt_amount(value: object, unit: str = "", edges: Iterable[float | None] = ()) -> str:
    """An indicator's actual or target: percent units as percentages, other numbers to 2 decimals;
    never rounded across one of `edges` (its target, floor, stretch, band edges)."""
    if unit == "percent":
        return fmt_pct(value, 2, edges)
    return fmt_num(value, 2, edges)
