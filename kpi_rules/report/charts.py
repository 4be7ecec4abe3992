"""Geometry for the inline SVG charts: positions and sizes, computed once in
Python, so the HTML templates only draw `<rect>`, `<polyline>` and `<text>`.

Every chart is drawn in a 400-unit-wide viewBox and scales to its container
(readable from 375 px phones to print). Coordinates are rounded to 0.1 so the
output is byte-stable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from kpi_rules.report.numbers import fmt_num, fmt_pct

WIDTH = 400
LABEL_H = 16  # a bar's label line above it
BAR_H = 14
GAP = 10
VALUE_W = 86  # room right of the longest bar for its value


def _r(x: float) -> float:
    return round(x, 1)


def bar_chart(items: Sequence[tuple[str, float | int | None, str | None]], kind: str,
              reference: float | None = None) -> dict[str, Any]:
    """Horizontal bars, one per (label, value, key); label above each bar.

    kind `count` (bars to the largest count, value shown as `n (share)`) or
    `score` (bars to at least 120, a reference line at `reference`).
    """
    present = [(label, float(v), key) for label, v, key in items if v is not None]
    total = sum(v for _, v, _ in present)
    top = max((v for _, v, _ in present), default=0.0)
    scale_max = max(top, 1.0) if kind == "count" else max(120.0, top, reference or 0.0)
    span = WIDTH - VALUE_W
    bars = []
    y = 4.0
    for k, (label, value, key) in enumerate(present):
        w = span * max(value, 0.0) / scale_max
        text = (f"{fmt_num(value, 0)} ({fmt_pct(value / total)})" if total else fmt_num(value, 0)) \
            if kind == "count" else fmt_num(value, 1)
        bars.append({"label": label, "key": key, "index": k % 8, "text": text, "label_y": _r(y + 12),
                     "bar_y": _r(y + LABEL_H), "w": _r(w), "text_x": _r(w + 6), "text_y": _r(y + LABEL_H + 11)})
        y += LABEL_H + BAR_H + GAP
    ref_x = _r(span * reference / scale_max) if reference is not None and present else None
    return {"width": WIDTH, "height": _r(y), "bars": bars, "ref_x": ref_x,
            "ref_text": fmt_num(reference, 0) if reference is not None else None, "empty": not present}


def _ticks(lo: float, hi: float) -> tuple[float, float, float]:
    span = max(hi - lo, 1.0)
    step = next(s for s in (5, 10, 20, 25, 50, 100, 200, 500, 1000, 10**9) if span / s <= 5)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step, step


def line_chart(periods: Sequence[str], series: Sequence[tuple[str, Sequence[float | int | None]]],
               height: int = 180) -> dict[str, Any]:
    """Lines over periods; a period without a value breaks the line."""
    left, right, top, bottom = 40.0, 12.0, 12.0, 26.0
    values = [float(v) for _, vs in series for v in vs if v is not None]
    lo, hi, step = _ticks(min(values, default=0.0) - 2, max(values, default=100.0) + 2)
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    n = max(len(periods), 1)

    def xy(k: int, v: float) -> tuple[float, float]:
        return _r(left + (k + 0.5) * plot_w / n), _r(top + plot_h * (hi - v) / (hi - lo))

    lines = []
    for s, (label, vs) in enumerate(series):
        segments: list[list[str]] = [[]]
        points = []
        for k, v in enumerate(vs):
            if v is None:
                segments.append([])
                continue
            x, y = xy(k, float(v))
            segments[-1].append(f"{x},{y}")
            points.append({"x": x, "y": y, "text": fmt_num(v, 2), "text_y": _r(y - 6)})
        lines.append({"label": label, "index": s % 8, "points": points,
                      "segments": [" ".join(seg) for seg in segments if len(seg) > 1]})
    ticks = []
    t = lo
    while t <= hi + 1e-9:
        ticks.append({"y": xy(0, t)[1], "text": fmt_num(t, 0)})
        t += step
    xlabels = [{"x": xy(k, lo)[0], "text": p} for k, p in enumerate(periods)]
    return {"width": WIDTH, "height": height, "left": left, "right": _r(WIDTH - right), "bottom": _r(top + plot_h),
            "ticks": ticks, "xlabels": xlabels, "label_y": _r(height - 8), "lines": lines, "empty": not values}
