"""The values of a policy test run: test files, cases, outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kpi_rules.policy.loader import Mark, SourceMap
from kpi_rules.policy.validate import Validation

# Fields an expectation may hold (schemas/testcases.schema.json, `$defs.expectation`).
EXPECT_FIELDS = (
    "status", "final", "grade", "grade_before_distribution", "pay_coefficient", "individual", "team_score",
    "bonus", "deduction", "coefficient_team", "indicators", "bonuses", "deductions", "veto", "suggestions",
    "reasons_contain", "moved",
)


@dataclass(frozen=True)
class Expectation:
    """What one employee's result must be; `marks[field]` is where each field is written."""

    employee_id: str | None  # None: the case's only row
    fields: dict[str, Any]
    marks: dict[str, Mark]
    mark: Mark


@dataclass(frozen=True)
class Case:
    name: str
    index: int
    period: str | None
    rows: list[dict[str, Any]]  # defaults merged, employee_id and period filled in
    row_lines: list[int]
    expectations: list[Expectation]
    mark: Mark


@dataclass
class TestFile:
    """A loaded test file. `problems` non-empty: the file is bad and no case runs."""

    __test__ = False  # not a pytest class

    file: str
    source: SourceMap
    policy: str = ""  # resolved path of the policy under test
    cases: list[Case] = field(default_factory=list)
    validation: Validation | None = None  # the test file's own problems, as a policy's would be

    @property
    def ok(self) -> bool:
        return self.validation is None or self.validation.ok


@dataclass(frozen=True)
class Mismatch:
    """One expectation that did not hold: `where` reads like `E1 indicators.visits.score`."""

    where: str
    expected: str
    actual: str
    line: int
    col: int

    def to_dict(self) -> dict[str, Any]:
        return {"where": self.where, "expected": self.expected, "actual": self.actual, "line": self.line,
                "col": self.col}


@dataclass
class CaseResult:
    file: str
    name: str
    line: int
    col: int
    mismatches: list[Mismatch] = field(default_factory=list)
    error: str | None = None  # the case could not run at all (period, data, engine)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.mismatches and self.error is None

    @property
    def title(self) -> str:
        return f"{self.file}::{self.name}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "name": self.name, "line": self.line, "col": self.col, "passed": self.passed,
                "error": self.error, "notes": self.notes, "mismatches": [m.to_dict() for m in self.mismatches]}


@dataclass
class FileResult:
    """One test file's outcome: its cases, or why none could run (`invalid`: the bad file(s))."""

    file: str
    policy: str
    cases: list[CaseResult] = field(default_factory=list)
    invalid: list[Validation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.invalid and all(c.passed for c in self.cases)
