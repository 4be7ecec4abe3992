"""Numbers for people, the same in every report and locale: `1,234,567`, `88.81%`, `—` for none."""

from __future__ import annotations

from kpi_rules.results.model import shown

NONE = "—"


def fmt_num(value: object, decimals: int = 2) -> str:
    """A number rounded for display, with thousands separators from 10,000 up; None -> —."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return NONE if value is None else str(value)
    s = shown(float(value), decimals)
    if s is None:
        return NONE
    return f"{s:,}" if abs(s) >= 10000 else str(s)


def fmt_pct(fraction: object, decimals: int = 1) -> str:
    """A fraction as a percentage: 0.8881 -> 88.8%."""
    if fraction is None or isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
        return NONE if fraction is None else str(fraction)
    return f"{fmt_num(float(fraction) * 100, decimals)}%"


def fmt_signed(value: object, decimals: int = 2) -> str:
    """+3, −2, 0: points added or taken away."""
    if value is None or not isinstance(value, (int, float)):
        return NONE if value is None else str(value)
    text = fmt_num(abs(value), decimals)
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else text


def fmt_amount(value: object, unit: str = "") -> str:
    """An indicator's actual or target: percent units as percentages, other numbers to 2 decimals."""
    if unit == "percent":
        return fmt_pct(value, 2)
    return fmt_num(value, 2)
