"""Appraisal periods: `2024-Q2`, `2024-06`, `2024-H1`, `2024`."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

KINDS = ("month", "quarter", "half", "year")
# Written as in POLICY_FORMAT (2024-Q2, 2024-06, 2024-H1, 2024), or as spreadsheets often do
# (2024Q2, 2024 Q2, 2024/06, 2024-6); always read back in the first form.
_FORMS = [
    (re.compile(r"^(\d{4})[-/_ ]?[Qq]([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})[-/_ ]?[Hh]([12])$"), "half"),
    (re.compile(r"^(\d{4})[-/](0?[1-9]|1[0-2])$"), "month"),
    (re.compile(r"^(\d{4})$"), "year"),
]
FIRST_YEAR, LAST_YEAR = 1900, 9998  # a period's dates must exist (9999-Q4 ends on the last date there is)
_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}


class PeriodError(ValueError):
    """Text that is not a period."""


@dataclass(frozen=True, order=True)
class Period:
    year: int
    kind_rank: int
    index: int  # 1-based within the year; 1 for a year

    @property
    def kind(self) -> str:
        return KINDS[self.kind_rank]

    @property
    def label(self) -> str:
        """The period's label within its year: Q2, H1, 06, or '' for a year."""
        return {"quarter": f"Q{self.index}", "half": f"H{self.index}", "month": f"{self.index:02d}",
                "year": ""}[self.kind]

    def __str__(self) -> str:
        return f"{self.year}-{self.label}" if self.label else str(self.year)

    @property
    def first_month(self) -> int:
        return (self.index - 1) * _MONTHS[self.kind] + 1

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.first_month, 1)

    @property
    def end(self) -> dt.date:
        last = self.first_month + _MONTHS[self.kind] - 1
        following = dt.date(self.year + last // 12, last % 12 + 1, 1)
        return following - dt.timedelta(days=1)

    def contains(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end


def parse_period(text: object) -> Period:
    raw = str(text).strip()
    for pattern, kind in _FORMS:
        match = pattern.match(raw)
        if match:
            index = int(match.group(2)) if kind != "year" else 1
            year = int(match.group(1))
            if not FIRST_YEAR <= year <= LAST_YEAR:
                raise PeriodError(f"`{raw}`: the year {match.group(1)} is not a plausible appraisal year "
                                  f"({FIRST_YEAR} to {LAST_YEAR})")
            return Period(year, KINDS.index(kind), index)
    raise PeriodError(f"`{raw}` is not a period; write it like 2024-Q2, 2024-06, 2024-H1 or 2024")


def within(period: Period, start: str, end: str | None) -> bool:
    """Whether the period lies inside the policy's effective dates."""
    begin = dt.date.fromisoformat(start)
    finish = dt.date.fromisoformat(end) if end else dt.date.max
    return begin <= period.start and period.end <= finish
