"""Percentages as policies write them: `15%`, `12.5%` or a bare `15`.

Weights, `blend`, quotas and roll-up weights are percentages (POLICY_FORMAT
2.11). Both spellings mean the same; this module turns either into a
fraction (`0.15`) for the checks and the engine, and back into text for
messages.
"""

from __future__ import annotations

import re
from decimal import Decimal

_PERCENT_TEXT = re.compile(r"^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*%\s*$")


def parse_percent(value: object) -> float:
    """`"15%"`, `15` and `15.0` all give `0.15`.

    Decimal arithmetic keeps `"12.5%"` at exactly the fraction the text says,
    as far as a float can hold it. Anything else (true/false, other text)
    raises ValueError.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a percentage")
    if isinstance(value, int):
        return float(Decimal(value) / 100)
    if isinstance(value, float):
        return float(Decimal(repr(value)) / 100)
    if isinstance(value, str):
        match = _PERCENT_TEXT.match(value)
        if match:
            return float(Decimal(match.group(1)) / 100)
    raise ValueError(f"{value!r} is not a percentage: write it like `15%` or `15`")


def format_percent(fraction: float) -> str:
    """`0.15` -> `15%`, `0.955` -> `95.5%`: at most 6 decimals, no trailing zeros."""
    text = f"{fraction * 100:.6f}".rstrip("0").rstrip(".")
    return ("0" if text in ("-0", "") else text) + "%"


def in_range(fraction: float) -> bool:
    """Whether a percentage lies within 0% and 100%."""
    return 0.0 <= fraction <= 1.0


def is_bare_fraction(value: object) -> bool:
    """A bare number strictly between 0 and 1 (`0.2`): a fraction where a percentage belongs,
    since a bare number is already a percentage (0.2 means 0.2%)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 1
